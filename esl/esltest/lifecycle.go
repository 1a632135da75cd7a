package esltest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/google/uuid"
)

// chanSpec describes a channel to create.
type chanSpec struct {
	uuid, name, direction string
	prof                  profile
	vars                  [][2]string
}

// newChannel registers a channel; start sets it running.
func (sw *Switch) newChannel(spec chanSpec) (*Channel, error) {
	if spec.uuid == "" {
		spec.uuid = uuid.NewString()
	}
	if spec.prof.context == "" {
		spec.prof.context = "default"
	}
	ctx, cancel := context.WithCancel(sw.ctx)
	ch := &Channel{
		sw:         sw,
		uuid:       spec.uuid,
		name:       spec.name,
		direction:  spec.direction,
		created:    time.Now(),
		prof:       spec.prof,
		vars:       newVarStore(),
		ctx:        ctx,
		cancel:     cancel,
		queue:      make(chan *execution, 256),
		dtmfCh:     make(chan struct{}, 1),
		evCh:       make(chan struct{}, 1),
		brk:        make(chan struct{}, 1),
		fman:       make(chan string, 8),
		done:       make(chan struct{}),
		answeredCh: make(chan struct{}),
		earlyCh:    make(chan struct{}),
		ringCh:     make(chan struct{}),
		state:      "CS_INIT",
		callState:  "DOWN",
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	switch {
	case sw.closed:
		cancel()
		return nil, fmt.Errorf("esltest: switch closed")
	case len(sw.channels) >= sw.opts.maxChannels:
		cancel()
		return nil, fmt.Errorf("esltest: SWITCH_CONGESTION: %d channels", len(sw.channels))
	case sw.channels[spec.uuid] != nil:
		cancel()
		return nil, fmt.Errorf("esltest: uuid %s already in use", spec.uuid)
	}
	ch.serial = sw.sessions.Add(1)
	for _, kv := range [][2]string{
		{"direction", spec.direction}, {"uuid", spec.uuid}, {"session_id", strconv.FormatUint(ch.serial, 10)},
		{"channel_name", spec.name}, {"read_codec", "L16"}, {"read_rate", "8000"},
		{"write_codec", "L16"}, {"write_rate", "8000"}, {"call_uuid", spec.uuid},
	} {
		ch.vars.set(kv[0], kv[1])
	}
	for _, kv := range spec.vars {
		ch.vars.set(kv[0], kv[1])
	}
	sw.channels[spec.uuid] = ch
	sw.wg.Add(1)
	return ch, nil
}

// start sends CHANNEL_CREATE and runs the channel's dialplan apps on its
// own goroutine. Every newChannel must be followed by start.
func (ch *Channel) start(apps []App) {
	ch.sw.publish(ch.event("CHANNEL_CREATE", "switch_core_state_machine.c", "switch_core_session_run", 626))
	go ch.run(apps)
}

// startAfterAnswer is start for an originated leg: its apps run once it
// is answered (by its loopback peer, or by itself after a simulated ring
// when autoAnswer is set).
func (ch *Channel) startAfterAnswer(apps []App) {
	ch.sw.publish(ch.event("CHANNEL_CREATE", "switch_core_state_machine.c", "switch_core_session_run", 626))
	go func() {
		if ch.autoAnswer {
			ch.progress(false)
			if ch.sw.sleep(ch.ctx, 100*time.Millisecond) == nil {
				ch.answer()
			}
		}
		start := ch.answeredCh
		if ch.routed != nil { // the originate api starts it (route)
			start = ch.routed
		}
		select {
		case <-start:
		case <-ch.ctx.Done():
		}
		ch.run(apps)
	}()
}

// run executes the dialplan; when it ends (or the channel hangs up) the
// channel hangs up, waits for a lingering socket and is destroyed.
func (ch *Channel) run(apps []App) {
	defer ch.sw.wg.Done()
	ch.setState("CS_EXECUTE", "")
	for i := 0; !ch.isHungup(); {
		if ext := ch.takeTransfer(); ext != "" {
			var ok bool
			apps, ok = ch.sw.routeApps(ext)
			if !ok {
				ch.Hangup("NO_ROUTE_DESTINATION")
				break
			}
			i = 0
			continue
		}
		if i >= len(apps) {
			ch.Hangup("NORMAL_CLEARING")
			break
		}
		ch.execute(&execution{app: apps[i], uuid: uuid.NewString(), loops: 1})
		i++
		if other := ch.takeUUIDBridge(); other != nil {
			// The app uuid_bridge interrupted is over; the bridge runs,
			// and when it ends the dialplan goes on with the next app.
			ch.execute(&execution{app: App{Name: "uuid_bridge"}, fn: uuidBridgeApp(other), uuid: uuid.NewString(), loops: 1})
			// park_after_bridge: the leg parks (switch_ivr_park_session,
			// not an app) instead of going on with its dialplan.
			if !ch.isHungup() && switchTrue(ch.Var("park_after_bridge")) {
				appPark(ch.ctx, ch, "")
			}
		}
	}
	ch.finish()
}

func (ch *Channel) takeTransfer() string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	t := ch.transferTo
	ch.transferTo = ""
	return t
}

// sessionTransfer is switch_ivr_session_transfer: the variables
// transfer_source and transfer_history (pushed) get
// "<epoch>:<uuid>:bl_xfer:<ext>/<context>/<dialplan>" as FreeSWITCH writes
// them, then the channel goes to ext. dialplan defaults to XML, context to
// the caller profile's (else "default").
func (ch *Channel) sessionTransfer(ext, dialplan, dpContext string) {
	if dialplan == "" {
		dialplan = "XML"
	}
	if dpContext == "" {
		ch.mu.Lock()
		dpContext = ch.prof.context
		ch.mu.Unlock()
	}
	if dpContext == "" {
		dpContext = "default"
	}
	ch.mu.Lock() // the new caller profile: Caller-Destination-Number, Caller-Context
	ch.prof.dest, ch.prof.context = ext, dpContext
	ch.mu.Unlock()
	ch.pushTransferSource(fmt.Sprintf("%d:%s:bl_xfer:%s/%s/%s", time.Now().Unix(), ch.uuid, ext, dpContext, dialplan))
	ch.transfer(ext)
}

// pushTransferSource sets transfer_source to src and pushes it on
// transfer_history, as the switch does for a transfer or a uuid_bridge.
func (ch *Channel) pushTransferSource(src string) {
	ch.vars.set("transfer_source", src)
	switch h, _ := ch.vars.get("transfer_history"); {
	case h == "":
		ch.vars.set("transfer_history", src)
	case strings.HasPrefix(h, "ARRAY::"):
		ch.vars.set("transfer_history", h+"|:"+src)
	default:
		ch.vars.set("transfer_history", "ARRAY::"+h+"|:"+src)
	}
}

// transfer sends the channel to another extension: the running app stops
// and the extension's apps run next.
func (ch *Channel) transfer(ext string) {
	ch.mu.Lock()
	ch.transferTo = ext
	cancels := append([]context.CancelFunc(nil), ch.appCancels...)
	end := ch.bridgeEnd
	ch.mu.Unlock()
	if end != nil {
		end.close() // a uuid_bridge it is in (or about to start) ends for both legs
	}
	for _, cancel := range cancels {
		cancel()
	}
}

// finish sends the end-of-call events and destroys the channel.
func (ch *Channel) finish() {
	sw := ch.sw
	// Executes still queued never run.
	for {
		select {
		case x := <-ch.queue:
			close(x.done)
			continue
		default:
		}
		break
	}
	now := time.Now()
	ch.mu.Lock()
	answeredAt := ch.answeredAt
	ch.state = "CS_REPORTING"
	sock := ch.sock
	ch.mu.Unlock()
	ch.vars.set("end_epoch", strconv.FormatInt(now.Unix(), 10))
	ch.vars.set("start_epoch", strconv.FormatInt(ch.created.Unix(), 10))
	ch.vars.set("duration", strconv.Itoa(int(now.Sub(ch.created).Seconds())))
	billsec := 0
	if !answeredAt.IsZero() {
		billsec = int(now.Sub(answeredAt).Seconds())
		ch.vars.set("answer_epoch", strconv.FormatInt(answeredAt.Unix(), 10))
	}
	ch.vars.set("billsec", strconv.Itoa(billsec))
	sw.publish(ch.event("CHANNEL_STATE", "switch_core_state_machine.c", "switch_core_session_run", 628))
	ev := ch.event("CHANNEL_HANGUP_COMPLETE", "switch_core_state_machine.c", "switch_core_session_reporting_state", 944)
	ev.Headers = append(ev.Headers[:13:13], append([]esl.Header{{Name: "Hangup-Cause", Value: ch.HangupCause()}}, ev.Headers[13:]...)...)
	sw.publish(ev)
	if sock != nil && sock.lingering() {
		sock.push(qitem{fn: sock.lingerNotice})
		select {
		case <-sock.done:
		case <-sw.ctx.Done():
		}
	}
	ch.setStateForce("CS_DESTROY")
	sw.publish(ch.event("CHANNEL_DESTROY", "switch_core_session.c", "switch_core_session_perform_destroy", 1775))
	// A remembered channel must not keep its socket connection (and that
	// connection's event queue) alive: 4096 of them held ~650 MB.
	ch.mu.Lock()
	ch.sock = nil
	ch.mu.Unlock()
	sw.mu.Lock()
	delete(sw.channels, ch.uuid)
	sw.remember(ch)
	sw.mu.Unlock()
	close(ch.done)
}

func (ch *Channel) setStateForce(state string) {
	ch.mu.Lock()
	ch.state = state
	ch.mu.Unlock()
}

// execute runs one app with its CHANNEL_EXECUTE and
// CHANNEL_EXECUTE_COMPLETE events and records it.
func (ch *Channel) execute(x *execution) { ch.executeIn(x, false) }

// executeIn is execute for an app run by park (the park app, the socket
// app in async mode) when park is true. switch_ivr_park runs the executes
// queued to it one after another (switch_ivr_parse_all_events) and right
// after them dequeues and drops the caller's waiting digits, in the same
// iteration of its loop: microseconds after the last completion went out,
// long before a client that reacts to the completion can queue the next
// execute. So when nothing is queued at the app's end, the digits are
// dropped before the completion goes out, and a client's next execute
// finds them gone however late park's goroutine is scheduled.
func (ch *Channel) executeIn(x *execution, park bool) {
	defer close(x.done0())
	fn, ok := apps[x.app.Name]
	if x.fn != nil {
		fn, ok = x.fn, true
	}
	if !ok {
		ch.sw.log.Error("Invalid Application", "app", x.app.Name, "uuid", ch.uuid)
		ch.sw.logLine(3, "switch_core_session.c", fmt.Sprintf("Invalid Application %s\n", x.app.Name))
		ch.record(AppRun{Name: x.app.Name, Arg: x.app.Arg, UUID: x.uuid, Response: "invalid application", Start: time.Now(), End: time.Now()})
		ch.Hangup("DESTINATION_OUT_OF_ORDER")
		return
	}
	counts := clockCounts(x.app.Name)
	loops := max(x.loops, 1)
	for l := 0; l < loops && !ch.isHungup(); l++ {
		start := time.Now()
		// The switch expands the data of every app it runs
		// (switch_core_session_exec), then the app reads it.
		arg := ch.sw.expandVars(x.app.Arg, ch, 0)
		got := &appArgs{}
		ctx, cancel := context.WithCancel(context.WithValue(ch.ctx, appArgsKey{}, got))
		ch.mu.Lock()
		prevApp, prevArg, prevCancel, prevStart := ch.curApp, ch.curArg, ch.appCancel, ch.curAppStart
		ch.curApp, ch.curArg, ch.appCancel, ch.curAppStart = x.app.Name, arg, cancel, ch.appTimeLocked()
		started := ch.curAppStart
		ch.appCancels = append(ch.appCancels, cancel)
		ch.mu.Unlock()
		if arg != "" {
			ch.vars.set("current_application_data", arg)
		} else {
			ch.vars.unset("current_application_data")
		}
		ch.vars.set("current_application", x.app.Name)
		ev := ch.event("CHANNEL_EXECUTE", "switch_core_session.c", "switch_core_session_exec", 2934)
		ch.appHeaders(ev, x.app.Name, arg, x.uuid, "")
		ch.sw.publish(ev)
		ch.runAppHooks(x.app.Name, started)
		// The app clock runs while the app itself runs, not until this
		// goroutine gets round to the completion: a stall here under load
		// would count as simulated time (×1/scale), and a hangup_after
		// would land while the client works between its commands.
		if counts {
			ch.clockStart()
		}
		resp := fn(ctx, ch, arg)
		took := ch.AppTime() - started
		if counts {
			ch.clockStop()
		}
		cancel()
		if resp == "" {
			resp = "_none_"
		}
		ch.mu.Lock()
		ch.curApp, ch.curArg, ch.appCancel, ch.curAppStart = prevApp, prevArg, prevCancel, prevStart
		ch.appCancels = ch.appCancels[:len(ch.appCancels)-1]
		ch.mu.Unlock()
		// Record the run before the completion goes out: a client that
		// acts on CHANNEL_EXECUTE_COMPLETE must find the app in Apps().
		ch.vars.set("last_app", x.app.Name)
		ch.vars.set("last_arg", arg)
		ch.record(AppRun{Name: x.app.Name, Arg: arg, Sent: x.app.Arg, Args: got.args, UUID: x.uuid, Response: resp, Start: start, End: time.Now(), Took: took})
		if park && l == loops-1 && len(ch.queue) == 0 {
			ch.dropDigits()
		}
		ev = ch.event("CHANNEL_EXECUTE_COMPLETE", "switch_core_session.c", "switch_core_session_exec", 2972)
		ch.appHeaders(ev, x.app.Name, arg, x.uuid, resp)
		ch.sw.publish(ev)
	}
}

// appArgsKey carries an *appArgs in the context of a running app.
type appArgsKey struct{}

// appArgs are the arguments an app read from its data (AppRun.Args).
type appArgs struct{ args []string }

// gotArgs records the arguments the running app read from its data.
func gotArgs(ctx context.Context, args []string) {
	if a, ok := ctx.Value(appArgsKey{}).(*appArgs); ok && a.args == nil {
		a.args = append([]string{}, args...)
	}
}

func (x *execution) done0() chan struct{} {
	if x.done == nil {
		x.done = make(chan struct{})
	}
	return x.done
}

func (ch *Channel) appHeaders(ev *esl.Event, app, arg, uuid, resp string) {
	ev.Headers.Add("Application", app)
	if arg != "" {
		ev.Headers.Add("Application-Data", arg)
	}
	if resp != "" {
		ev.Headers.Add("Application-Response", resp)
	}
	ev.Headers.Add("Application-UUID", uuid)
}

func (ch *Channel) record(r AppRun) {
	ch.mu.Lock()
	ch.apps = append(ch.apps, r)
	ch.mu.Unlock()
}

// serveQueue runs queued sendmsg executes until ctx ends: what park and the
// socket app do while they hold the channel. With park (the park app, the
// socket app in async mode: switch_ivr_park) the executes already queued
// run first, then the caller's input waiting is handled as park does it
// (parkInput: digits dropped, queued events fired).
func (ch *Channel) serveQueue(ctx context.Context, until <-chan struct{}, park bool) {
	var input, events <-chan struct{}
	if park {
		input, events = ch.dtmfCh, ch.evCh
	}
	defer func() {
		// The park loop (socket async, park) notices a transfer made by
		// the app it ran at its next frame, 20 ms on: the app's
		// CHANNEL_EXECUTE_COMPLETE comes first, the loop's own later.
		if ctx.Err() != nil && !ch.isHungup() {
			time.Sleep(ch.sw.scaled(20 * time.Millisecond))
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-until:
			return
		default:
		}
		select {
		case x := <-ch.queue:
			ch.executeIn(x, park)
			continue
		default:
		}
		if park {
			ch.parkInput()
		}
		select {
		case x := <-ch.queue:
			ch.executeIn(x, park)
		case <-input:
		case <-events:
		case <-ctx.Done():
			return
		case <-until:
			return
		}
	}
}

// enqueue queues an execute from sendmsg; it fails when the queue is full
// or the channel is gone.
func (ch *Channel) enqueue(x *execution) error {
	x.done0()
	if ch.isHungup() {
		return fmt.Errorf("invalid session id [%s]", ch.uuid) // as the switch once the session is gone
	}
	select {
	case ch.queue <- x:
		return nil
	default:
		return fmt.Errorf("channel %s: too many queued executes", ch.uuid)
	}
}
