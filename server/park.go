package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/esl"
)

// Park mode (docs/park-mode.md). The dialplan sets the app variable and
// parks the call; every fsstar instance serving the switch sees the
// CHANNEL_PARK on its first park connection and asks mod_hash to claim it
// (`hash insert_ifempty/fsstar/<uuid>/<instance>`, atomic in the switch):
// exactly one wins. The winner marks the channel with the connection that
// will drive it (fsstar_slot=<instance>/<k>) and from then on that
// connection alone receives the call's events, filtered at the switch on
// that variable. The claim is dropped when the call ends or leaves fsstar.
// A sweep (every heartbeat interval) picks up calls parked while no fsstar
// saw them, and gives on-error to the calls of instances that stopped
// beating: each such takeover is itself claimed once
// (`hash insert_ifempty/fsstar/takeover:<uuid>/<instance>`).
const (
	// slotVar names the instance and connection that drive a parked call.
	slotVar = "fsstar_slot"
	// resumeVar is where a parked call goes when its script ends with
	// setAutoHangup(False) ("<ext> [<dialplan> [<context>]]", as
	// uuid_transfer reads it): a parked call has no dialplan to go on with.
	resumeVar = "fsstar_resume"
	// claimRealm is the mod_hash realm of the claims.
	claimRealm = "fsstar"
	// takeoverPrefix starts the key of a takeover claim.
	takeoverPrefix = "takeover:"
)

// parkMode drives the parked calls of one switch.
type parkMode struct {
	s      *Server
	link   *switchLink // the switch it serves
	log    hclog.Logger
	appVar string      // the app variable (app-variable at start)
	disp   *esl.Client // receives the CHANNEL_PARK of unclaimed calls
	conns  []*parkConn // drive the claimed calls

	mu       sync.Mutex
	runs     map[string]*parkLeg // by uuid: the calls this instance drives
	ended    map[string]bool     // calls whose run ended with the call: their claims go in the sweep
	notOurs  map[string]bool     // parked channels without the app variable (sweep cache)
	stopping bool
	wg       sync.WaitGroup // runs in flight
	// unsure holds the calls whose run ended without the call seen going
	// (a hangup that failed, or was not seen), and when: the sweep makes
	// sure they are not left up.
	unsure map[string]time.Time
	// started is set once every park connection has subscribed.
	started atomic.Bool
}

// parkConn is one inbound connection that drives parked calls.
type parkConn struct {
	idx   int
	slot  string // the value of slotVar for its calls
	c     *esl.Client
	calls atomic.Int64 // calls it drives now
}

func newParkMode(s *Server, l *switchLink) *parkMode {
	log := s.log.Named("park")
	if len(s.cfg.Switches()) > 1 {
		log = log.With("switch", l.addr)
	}
	return &parkMode{s: s, link: l, log: log, appVar: s.cfg.AppVariable, runs: map[string]*parkLeg{}, ended: map[string]bool{}, unsure: map[string]time.Time{}, notOurs: map[string]bool{}}
}

// start dials the dispatch connection and the park connections and starts
// dispatching. It returns once each connection has subscribed (or ctx
// ended).
func (pm *parkMode) start(ctx context.Context) error {
	cfg := pm.s.cfg
	n := max(cfg.ParkConnections, 1)
	pm.disp = pm.dial("dispatch")
	for k := range n {
		pm.conns = append(pm.conns, &parkConn{idx: k, slot: pm.s.instance + "/" + strconv.Itoa(k), c: pm.dial(strconv.Itoa(k))})
	}
	// The dispatch connection: the CHANNEL_PARK of channels whose app
	// variable is set, that is of calls nobody claimed yet (the claim
	// consumes it) — not the parks of other channels, nor anything else.
	if err := untilConnected(ctx, func() error { return pm.disp.Filter(ctx, "variable_"+pm.appVar, "/./") }); err != nil {
		return fmt.Errorf("park dispatch connection: %w", err)
	}
	if err := pm.disp.Subscribe(ctx, "CHANNEL_PARK"); err != nil {
		return fmt.Errorf("park dispatch connection: %w", err)
	}
	for _, pc := range pm.conns {
		if err := pm.subscribe(ctx, pc); err != nil {
			return fmt.Errorf("park connection %d: %w", pc.idx, err)
		}
		pm.s.wg.Add(1)
		go func() {
			defer pm.s.wg.Done()
			pm.watchHangups(pc)
		}()
	}
	pm.s.wg.Add(1)
	go func() {
		defer pm.s.wg.Done()
		pm.dispatch(pm.disp)
	}()
	pm.started.Store(true)
	pm.log.Info("park mode on", "connections", n, "slot_prefix", pm.s.instance)
	return nil
}

// dial makes one inbound connection of park mode; it connects in the
// background and reconnects on its own, restoring its subscriptions.
func (pm *parkMode) dial(name string) *esl.Client {
	cfg := pm.s.cfg
	return esl.NewClient(pm.link.addr,
		esl.WithPassword(cfg.ESLPassword),
		esl.WithLogger(pm.log.With("connection", name)),
		esl.WithEventBuffer(8192),
		esl.WithReconnect(esl.ReconnectPolicy{Initial: 100 * time.Millisecond, Max: 5 * time.Second}),
		esl.WithStateHook(func(st esl.State, err error) {
			if st == esl.StateDisconnected {
				pm.log.Warn("park connection lost; reconnecting", "connection", name, "error", redact(err, cfg.ESLPassword))
			}
		}))
}

// untilConnected runs the first command of a new connection, retrying
// while the client is still dialing.
func untilConnected(ctx context.Context, first func() error) error {
	for {
		err := first()
		if err == nil || !errors.Is(err, esl.ErrConnLost) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// subscribe asks for a park connection's events, filtered at the switch:
// the calls of its slot, and every DTMF (DTMF events carry no channel
// variables to filter on). The client restores both after a reconnect.
func (pm *parkMode) subscribe(ctx context.Context, pc *parkConn) error {
	if err := untilConnected(ctx, func() error { return pc.c.Filter(ctx, "variable_"+slotVar, pc.slot) }); err != nil {
		return err
	}
	if err := pc.c.Filter(ctx, "Event-Name", "DTMF"); err != nil {
		return err
	}
	return pc.c.Subscribe(ctx, builtins.ParkedEvents()...)
}

// dispatch claims each call the dispatch connection sees parked.
func (pm *parkMode) dispatch(c *esl.Client) {
	sub := c.Listen(esl.Match{Names: []string{"CHANNEL_PARK"}, Buffer: 8192})
	for {
		ev, err := sub.Next(pm.s.base)
		if err != nil {
			if errors.Is(err, esl.ErrOverflow) {
				pm.log.Warn("CHANNEL_PARK queue overflowed; the sweep picks up what was missed")
				sub = c.Listen(esl.Match{Names: []string{"CHANNEL_PARK"}, Buffer: 8192})
				continue
			}
			return
		}
		pm.parked(ev)
	}
}

// parked handles one CHANNEL_PARK.
func (pm *parkMode) parked(ev *esl.Event) {
	id := ev.UniqueID()
	if id == "" || ev.Variable(pm.appVar) == "" {
		return // not a call for fsstar (the switch's filter lets none through)
	}
	if app := ev.Variable("current_application"); app != "" && app != "park" {
		return // parked by the socket app (async): a socket call, served by its connection
	}
	// The app variable is set again (it is consumed at each claim): the
	// dialplan asks for a new run, e.g. the script transferred the call
	// into another extension for fsstar.
	if slot := ev.Variable(slotVar); slot != "" {
		pm.mu.Lock()
		run := pm.runs[id]
		if run != nil {
			run.repark(ev) // claimed anew once the run let go of the call
		}
		pm.mu.Unlock()
		if run != nil || !strings.HasPrefix(slot, pm.s.instance+"/") {
			return // another instance's call: it deals with it
		}
	}
	go pm.claim(id, ev, false)
}

// claim asks the switch for the call; the winner runs its script (or, when
// late, gives it on-error). Exactly one instance wins a given uuid.
func (pm *parkMode) claim(id string, ev *esl.Event, late bool) {
	ctx, cancel := context.WithTimeout(pm.s.base, 10*time.Second)
	defer cancel()
	pm.mu.Lock()
	stopping := pm.stopping
	_, running := pm.runs[id]
	pm.mu.Unlock()
	if stopping || running {
		return
	}
	// The claim and the marks go over the dispatch connection: the switch
	// serves each ESL connection with one thread, and the park
	// connections' threads are kept for the calls' own commands.
	pc := pm.pick()
	out, err := pm.disp.API(ctx, "hash insert_ifempty/"+claimRealm+"/"+id+"/"+pm.s.instance)
	switch {
	case err == nil && strings.HasPrefix(out, "+OK"):
	case switchSaid(err, "-ERR key already exists"):
		pm.s.metrics.parkClaims.WithLabelValues("lost").Inc()
		return
	default:
		pm.s.metrics.parkClaims.WithLabelValues("failed").Inc()
		pm.log.Error("cannot claim a parked call (is mod_hash loaded?)", "uuid", id, "reply", strings.TrimSpace(out), "error", err)
		return
	}
	if late || stale(ev) {
		// An old view of the call (the sweep's listing, a CHANNEL_PARK
		// that waited in a queue): another instance may have claimed it,
		// run it and let it go since. A claim consumes the app variable,
		// so the call is still a request only if the variable is there.
		if v, err := pm.disp.API(ctx, "uuid_getvar "+id+" "+pm.appVar); err != nil || v == "" || v == "_undef_" {
			pm.disp.API(ctx, "hash delete_ifmatch/"+claimRealm+"/"+id+"/"+pm.s.instance)
			pm.s.metrics.parkClaims.WithLabelValues("lost").Inc()
			return
		}
	}
	leg := pm.newLeg(pc, id, ev)
	pm.mu.Lock()
	if pm.stopping {
		pm.mu.Unlock()
		pm.disp.API(ctx, "hash delete_ifmatch/"+claimRealm+"/"+id+"/"+pm.s.instance)
		return
	}
	pm.runs[id] = leg
	pm.wg.Add(1)
	pm.mu.Unlock()
	pc.calls.Add(1)

	// Mark the call as this connection's (its events come here from now
	// on) with the variables every call gets, and cancel the dialplan's
	// last-resort timer: two commands, one round trip.
	// The app variable is consumed: it asked fsstar to take this park, and
	// a later park of the call (park_after_bridge, a transfer into a plain
	// park extension) is not a new request unless the dialplan sets it
	// again. The script has its args; leg.ev keeps the value.
	// The slot names this instance too: a parked call carries no
	// fsstar_instance (the orphan scan leaves slotted calls to the sweep),
	// so every event of the call is that much shorter.
	vars := append([]string{slotVar + "=" + pc.slot, pm.appVar + "="},
		builtins.ChannelDefaults(leg.hasVariable)...)
	// The last resort is the dialplan's last sched_transfer before the
	// park (mod_dptools leaves its task id in last_sched_id); other
	// scheduled tasks of the channel (a sched_hangup as the longest call
	// allowed) stay.
	timer := ev.Variable("last_sched_id")
	if timer != "" {
		vars = append(vars, "last_sched_id=")
	}
	var setErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, setErr = pm.disp.API(ctx, "uuid_setvar_multi "+id+" "+strings.Join(vars, ";"))
	}()
	if timer != "" {
		if _, err := pm.disp.API(ctx, "sched_del "+timer); err != nil {
			leg.log.Debug("sched_del failed", "task", timer, "error", err)
		}
	}
	wg.Wait()
	go func() {
		defer pm.wg.Done()
		defer pc.calls.Add(-1)
		if esl.IsNoSuchChannel(setErr) {
			// The call hung up before it was marked (its hangup events
			// did not come here): nothing to run.
			leg.hangup(&esl.HangupError{UUID: id})
			leg.log.Debug("parked call gone before it was marked", "error", setErr)
			leg.done(true)
			return
		}
		if setErr != nil {
			// Not marked: none of the call's events would come to its
			// connection, and a script would wait for them for ever.
			pm.s.metrics.parkClaims.WithLabelValues("failed").Inc()
			leg.log.Error("cannot mark a claimed call: on-error instead of its script", "error", setErr)
			pm.s.applyOnError(leg, pm.s.live.Load().onError, leg.log)
			leg.done(true)
			return
		}
		if late {
			pm.s.metrics.parkClaims.WithLabelValues("late").Inc()
			leg.log.Warn("parked call found unclaimed after park-claim-timeout: on-error instead of its script",
				"module", leg.Variable(pm.appVar))
			pm.s.applyOnError(leg, pm.s.live.Load().onError, leg.log)
			leg.done(true)
			return
		}
		pm.s.metrics.parkClaims.WithLabelValues("won").Inc()
		pm.s.serveCall(leg.ctx, leg)
		leg.done(false)
	}()
}

// listLag bounds how far `show channels` (the core's database) lags the
// channels: a call younger than that may be missing from it, or its
// CHANNEL_PARK may still be being dispatched.
const listLag = 2 * time.Second

// stale reports whether a CHANNEL_PARK is older than a dispatch takes
// (Event-Date-Timestamp, µs): the sweep's events made from uuid_dump have
// none and are checked anyway.
func stale(ev *esl.Event) bool {
	us, err := strconv.ParseInt(ev.Get("Event-Date-Timestamp"), 10, 64)
	return err != nil || time.Since(time.UnixMicro(us)) > 500*time.Millisecond
}

// pick returns the connection driving the fewest calls.
func (pm *parkMode) pick() *parkConn {
	best := pm.conns[0]
	for _, pc := range pm.conns[1:] {
		if pc.calls.Load() < best.calls.Load() {
			best = pc
		}
	}
	return best
}

// watchHangups ends the runs of the connection's calls that hang up.
func (pm *parkMode) watchHangups(pc *parkConn) {
	m := esl.Match{Names: []string{"CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"}, Buffer: 8192}
	sub := pc.c.Listen(m)
	for {
		ev, err := sub.Next(pm.s.base)
		if err != nil {
			if errors.Is(err, esl.ErrOverflow) {
				pm.log.Warn("hangup queue overflowed; the sweep ends the runs of calls that are gone", "connection", pc.idx)
				sub = pc.c.Listen(m)
				continue
			}
			return
		}
		pm.mu.Lock()
		leg := pm.runs[ev.UniqueID()]
		pm.mu.Unlock()
		if leg != nil {
			leg.hangup(&esl.HangupError{UUID: ev.UniqueID(), Cause: ev.Get("Hangup-Cause"), Event: ev})
		}
	}
}

// drain stops claiming, waits for the runs until ctx ends, then cancels
// the rest (they get on-error) and waits for them briefly.
func (pm *parkMode) drain(ctx context.Context) error {
	pm.mu.Lock()
	pm.stopping = true
	pm.mu.Unlock()
	done := make(chan struct{})
	go func() { pm.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	pm.mu.Lock()
	for _, leg := range pm.runs {
		leg.cancel(ErrShutdown)
	}
	pm.mu.Unlock()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	return ctx.Err()
}

// close closes the park connections.
func (pm *parkMode) close() {
	if pm.disp != nil {
		pm.disp.Close()
	}
	for _, pc := range pm.conns {
		pc.c.Close()
	}
}

// parkLeg is one parked call this instance claimed (a callLeg).
type parkLeg struct {
	pm   *parkMode
	pc   *parkConn
	uuid string
	ev   *esl.Event // the CHANNEL_PARK that brought it
	log  hclog.Logger

	ctx    context.Context
	cancel context.CancelCauseFunc
	// started is when the claim was won: the sweep does not ask the
	// switch about a run younger than the channel listing's lag.
	started time.Time

	mu       sync.Mutex
	down     error      // *esl.HangupError once the call hung up
	left     bool       // transferred away or resumed: released
	reparked *esl.Event // a CHANNEL_PARK seen after the run began
}

func (pm *parkMode) newLeg(pc *parkConn, id string, ev *esl.Event) *parkLeg {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(pm.s.base))
	// Shutdown cancels runs itself (drain), after they had their time.
	return &parkLeg{pm: pm, pc: pc, uuid: id, ev: ev, ctx: ctx, cancel: cancel, started: time.Now(),
		log: pm.log.With("uuid", id, "connection", pc.idx)}
}

func (l *parkLeg) UUID() string                { return l.uuid }
func (l *parkLeg) Logger() hclog.Logger        { return l.log }
func (l *parkLeg) Variable(name string) string { return l.ev.Variable(name) }
func (l *parkLeg) hasVariable(name string) bool {
	_, ok := l.ev.Headers.Lookup("variable_" + name)
	return ok
}
func (l *parkLeg) Full() bool            { return true }
func (l *parkLeg) Done() <-chan struct{} { return l.ctx.Done() }

func (l *parkLeg) API(ctx context.Context, cmd string) (string, error) { return l.pc.c.API(ctx, cmd) }

func (l *parkLeg) Execute(ctx context.Context, app, arg string) (*esl.Event, error) {
	return l.pc.c.Execute(ctx, l.uuid, app, arg, esl.ExecuteOptions{EventLock: true})
}

func (l *parkLeg) Hangup(ctx context.Context, cause string) error {
	return l.pc.c.Hangup(ctx, l.uuid, cause)
}

// Err is the *esl.HangupError once the call hung up, nil before.
func (l *parkLeg) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.down
}

// Resume sends the call where the dialplan said with fsstar_resume; with
// none it is hung up (a parked call has no dialplan left to go on with).
func (l *parkLeg) Resume(ctx context.Context) error {
	to, err := l.pc.c.API(ctx, "uuid_getvar "+l.uuid+" "+resumeVar)
	to = strings.TrimSpace(to)
	if err != nil || to == "" || to == "_undef_" {
		l.log.Warn("script ended with setAutoHangup(False) but the parked call has no " + resumeVar + " to go to: hanging up")
		return l.Hangup(ctx, "NORMAL_CLEARING")
	}
	_, err = l.pc.c.API(ctx, "uuid_transfer "+l.uuid+" "+to)
	return err
}

// mark does nothing: the claim marked the call (parkMode.claim).
func (l *parkLeg) mark(context.Context, string) error { return nil }

// holdAfterTransfer: a parked call is let go at once (release).
func (l *parkLeg) holdAfterTransfer() bool { return false }

func (l *parkLeg) session(run *builtins.Call) *builtins.Session {
	return builtins.NewParkedSession(run, l.pc.c, l.ev, l.Err)
}

// hangup records the call's hangup and ends its context (the script gets
// hangup-grace, as in socket mode).
func (l *parkLeg) hangup(herr *esl.HangupError) {
	l.mu.Lock()
	if l.down == nil {
		l.down = herr
	}
	l.mu.Unlock()
	l.cancel(herr)
}

// repark notes a CHANNEL_PARK of the call after its run began.
func (l *parkLeg) repark(ev *esl.Event) {
	l.mu.Lock()
	l.reparked = ev
	l.mu.Unlock()
}

// release lets go of a call that leaves fsstar alive (transfer, resume):
// its marks are removed, so that its events stop coming here and a later
// park is a new call to claim, and so is the claim.
func (l *parkLeg) release(ctx context.Context) {
	l.mu.Lock()
	if l.left {
		l.mu.Unlock()
		return
	}
	l.left = true
	l.mu.Unlock()
	l.pc.c.API(ctx, unmarkCmd(l.uuid))
	l.pm.dropClaim(ctx, l.uuid)
}

// unmarkCmd removes a parked call's mark (its slot), so that its events no
// longer come to a park connection.
func unmarkCmd(id string) string {
	return "uuid_setvar " + id + " " + slotVar
}

// dropClaim deletes this instance's claim of a call, over the switch's
// shared connection (off the threads that drive calls).
func (pm *parkMode) dropClaim(ctx context.Context, id string) {
	c := pm.link.client()
	if c == nil {
		c = pm.disp
	}
	c.API(ctx, "hash delete_ifmatch/"+claimRealm+"/"+id+"/"+pm.s.instance)
}

// done ends the run: the claim goes once the call is gone (a call still up
// keeps it until the sweep sees it gone, so that nobody runs it again); a
// call parked again after it left fsstar is claimed anew.
func (l *parkLeg) done(onError bool) {
	pm := l.pm
	if !onError {
		l.mu.Lock()
		left := l.left
		l.mu.Unlock()
		if !left {
			// The script ended and the call was hung up: wait for the
			// hangup before the claim is dropped.
			select {
			case <-l.ctx.Done():
			case <-pm.s.base.Done(): // closed: nothing more will come
			case <-time.After(10 * time.Second):
			}
		}
	}
	l.mu.Lock()
	gone, left, again := l.down != nil, l.left, l.reparked
	l.mu.Unlock()
	pm.mu.Lock()
	if pm.runs[l.uuid] == l {
		delete(pm.runs, l.uuid)
	}
	if gone && !left {
		// The claim stays until the sweep sees the channel gone from the
		// switch: a claim deleted while the channel still exists (in its
		// hangup states) could be won by an instance with an older view.
		// That also keeps the delete off the call's path.
		pm.ended[l.uuid] = true
	}
	if !gone && !left {
		// Neither hung up nor let go: the hangup asked for may have failed
		// (its connection dropped) and nobody else will act on a live
		// instance's claim. The sweep checks the call is gone.
		pm.unsure[l.uuid] = time.Now()
	}
	pm.mu.Unlock()
	l.cancel(context.Canceled)
	if left && !gone && again != nil {
		// Transferred into another extension for fsstar before the
		// release removed the marks: a new request to claim.
		go pm.claim(l.uuid, again, false)
	}
}

// sweep runs every heartbeat interval: it ends the runs of calls that are
// gone (their hangup was missed while a connection was down), claims the
// calls parked for fsstar that nobody claimed (fsstar was down or
// restarting; late ones get on-error), takes over the calls of instances
// that stopped beating (on-error, once), and drops stale claims.
func (pm *parkMode) sweep(ctx context.Context, c *esl.Client) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rows, err := listChannels(ctx, c)
	if err != nil {
		pm.log.Debug("sweep: "+err.Error(), "error", err)
		return
	}
	live := make(map[string]bool, len(rows))
	for _, r := range rows {
		live[r.UUID] = true
	}
	now := time.Now()

	// `show channels` reads the core's database, which lags the channels
	// (a new one may not be listed yet): a channel missing from it is
	// gone only if uuid_exists, which asks the core itself, says so.
	exists := func(id string) bool {
		if live[id] {
			return true
		}
		out, err := c.API(ctx, "uuid_exists "+id)
		return err != nil || strings.TrimSpace(out) != "false" // in doubt, it exists
	}

	// Runs of calls that are gone. A run younger than listLag is missing
	// from the listing because the listing lags, not because its call is
	// gone: it is not asked about (its hangup comes on its connection; a
	// missed one is found by a later sweep). Under load most runs are that
	// young, and asking each would cost the switch a command per call.
	pm.mu.Lock()
	var maybeGone []*parkLeg
	for id, leg := range pm.runs {
		if !live[id] && now.Sub(leg.started) >= listLag {
			maybeGone = append(maybeGone, leg)
		}
	}
	for id := range pm.notOurs {
		if !live[id] {
			delete(pm.notOurs, id)
		}
	}
	pm.mu.Unlock()
	for _, leg := range maybeGone {
		if !exists(leg.uuid) {
			leg.hangup(&esl.HangupError{UUID: leg.uuid})
		}
	}
	pm.sweepUnsure(ctx, c, now)

	claims, takeovers := pm.claims(ctx, c)
	alive := map[string]bool{pm.s.instance: true}
	isAlive := func(inst string) bool {
		a, ok := alive[inst]
		if !ok {
			a = instanceAlive(ctx, c, inst)
			alive[inst] = a
		}
		return a
	}
	pm.mu.Lock()
	ended := pm.ended
	pm.ended = map[string]bool{}
	pm.mu.Unlock()
	for id := range ended {
		switch {
		case live[id]:
			pm.mu.Lock()
			pm.ended[id] = true // still tearing down: next sweep
			pm.mu.Unlock()
		case claims[id] == pm.s.instance:
			// Ours (the dump says so) and the call is gone: nobody else
			// can have claimed it since (insert_ifempty fails while the
			// claim is there, and only this instance deletes its claims
			// while it is alive), so a plain delete, shorter on the wire
			// than delete_ifmatch.
			c.API(ctx, "hash delete/"+claimRealm+"/"+id)
		}
		delete(claims, id)
	}
	for id, owner := range claims {
		pm.mu.Lock()
		_, running := pm.runs[id]
		pm.mu.Unlock()
		switch {
		case owner == pm.s.instance && running:
			// A run of this instance: the runs above are checked.
		case owner != pm.s.instance && isAlive(owner):
			// Another live instance's call: it deals with its claims.
		case !exists(id):
			c.API(ctx, "hash delete_ifmatch/"+claimRealm+"/"+id+"/"+owner)
		case owner != pm.s.instance:
			pm.takeover(ctx, c, id, owner)
		}
	}
	for id := range takeovers {
		if !exists(id) {
			c.API(ctx, "hash delete/"+claimRealm+"/"+takeoverPrefix+id)
		}
	}

	// Calls parked for fsstar that nobody claimed.
	appVar := pm.appVar
	for _, r := range rows {
		if r.Application != "park" || claims[r.UUID] != "" {
			continue
		}
		pm.mu.Lock()
		skip := pm.notOurs[r.UUID] || pm.runs[r.UUID] != nil
		pm.mu.Unlock()
		if skip {
			continue
		}
		created, _ := strconv.ParseInt(r.Created, 10, 64)
		age := now.Sub(time.Unix(created, 0))
		if age < listLag {
			continue // its CHANNEL_PARK is being dispatched
		}
		// One uuid_dump tells both variables and serves as the claim's event.
		ev, err := channelEvent(ctx, c, r.UUID)
		if err != nil {
			continue
		}
		if ev.Variable(appVar) == "" {
			pm.mu.Lock()
			pm.notOurs[r.UUID] = true
			pm.mu.Unlock()
			continue
		}
		if ev.Variable(slotVar) != "" {
			continue
		}
		if us, err := strconv.ParseInt(ev.Get("Caller-Channel-Created-Time"), 10, 64); err == nil && us > 0 {
			age = now.Sub(time.UnixMicro(us)) // to the microsecond; created_epoch is in seconds
		}
		pm.log.Info("parked call picked up by the sweep", "uuid", r.UUID, "waited", age.Round(time.Millisecond))
		pm.claim(r.UUID, ev, age > pm.s.Config().ParkClaimTimeout)
	}
}

// sweepUnsure gives on-error to the calls whose run ended without the call
// going, once their hangup has had listLag to happen: a call whose
// hangup failed (its park connection dropped, say) would otherwise stay
// parked, its claim held by this live instance, with nobody to act on it.
// uuid_exists asks the core itself (the listing lags both ways).
func (pm *parkMode) sweepUnsure(ctx context.Context, c *esl.Client, now time.Time) {
	pm.mu.Lock()
	var due []string
	for id, at := range pm.unsure {
		if now.Sub(at) >= listLag {
			due = append(due, id)
		}
	}
	pm.mu.Unlock()
	for _, id := range due {
		out, err := c.API(ctx, "uuid_exists "+id)
		if err != nil {
			continue // asked again at the next sweep
		}
		if strings.TrimSpace(out) != "false" {
			oe := pm.s.live.Load().onError
			log := pm.log.With("uuid", id)
			c.API(ctx, unmarkCmd(id))
			pm.s.metrics.onError.WithLabelValues(oe.Action).Inc()
			if err := pm.s.onErrorInbound(ctx, c, id, oe); err != nil {
				log.Warn("call left up after its run ended: on-error failed, the next sweep tries again", "action", oe.Action, "error", err)
				continue
			}
			if oe.Action == "transfer" {
				pm.dropClaim(ctx, id) // it lives on outside fsstar
			}
			log.Warn("call left up after its run ended (its hangup failed or was not seen): on-error applied", "action", oe.Action)
		}
		pm.mu.Lock()
		delete(pm.unsure, id)
		pm.mu.Unlock()
	}
}

// claims reads the claims from mod_hash: uuid → owner, and the takeovers.
func (pm *parkMode) claims(ctx context.Context, c *esl.Client) (claims, takeovers map[string]string) {
	claims, takeovers = map[string]string{}, map[string]string{}
	out, err := c.API(ctx, "hash_dump db "+claimRealm)
	if err != nil {
		return claims, takeovers // "-ERR no reply": none
	}
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "D/"+claimRealm+"_")
		if !ok {
			continue
		}
		key, val, ok := strings.Cut(rest, "/")
		if !ok {
			continue
		}
		if id, ok := strings.CutPrefix(key, takeoverPrefix); ok {
			takeovers[id] = val
		} else {
			claims[key] = val
		}
	}
	return claims, takeovers
}

// takeover gives on-error to a call whose owner died, if this instance is
// the one that claims the takeover. The takeover claim stays until the
// call is gone, so no other instance (with an older view) takes it too.
func (pm *parkMode) takeover(ctx context.Context, c *esl.Client, id, owner string) {
	if !takeoverOnce(ctx, c, id, pm.s.instance) {
		return
	}
	pm.s.metrics.parkClaims.WithLabelValues("takeover").Inc()
	oe := pm.s.live.Load().onError
	log := pm.log.With("uuid", id, "previous_instance", owner) // the app variable was consumed by the claim
	c.API(ctx, unmarkCmd(id))
	pm.s.metrics.onError.WithLabelValues(oe.Action).Inc()
	if err := pm.s.onErrorInbound(ctx, c, id, oe); err != nil {
		// The dead owner's claim stays and the takeover claim goes, so
		// that the next sweep (of any instance) tries again: a call whose
		// app variable the dead owner consumed has no other way out.
		c.API(ctx, "hash delete_ifmatch/"+claimRealm+"/"+takeoverPrefix+id+"/"+pm.s.instance)
		log.Warn("call of a dead instance: on-error failed, the next sweep tries again", "action", oe.Action, "error", err)
		return
	}
	c.API(ctx, "hash delete_ifmatch/"+claimRealm+"/"+id+"/"+owner)
	log.Warn("call of an fsstar instance that stopped: on-error applied", "action", oe.Action)
}

// channelEvent makes a CHANNEL_PARK-like event of a channel's variables
// (uuid_dump), for a call the sweep picks up.
func channelEvent(ctx context.Context, c *esl.Client, id string) (*esl.Event, error) {
	out, err := c.API(ctx, "uuid_dump "+id+" json")
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return nil, fmt.Errorf("uuid_dump %s: %w", id, err)
	}
	ev := &esl.Event{}
	for k, v := range m {
		ev.Headers.Add(k, v)
	}
	ev.Headers.Set("Event-Name", "CHANNEL_PARK")
	ev.Headers.Del("Event-Date-Timestamp") // a listing, not a fresh event: claim checks it (stale)
	return ev, nil
}

// switchSaid reports whether err is the switch's own reply to a command
// (an *esl.CommandError) starting with prefix: the api's answer, not the
// text of an error made here.
func switchSaid(err error, prefix string) bool {
	ce, ok := errors.AsType[*esl.CommandError](err)
	return ok && strings.HasPrefix(ce.Reply, prefix)
}
