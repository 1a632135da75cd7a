package esl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Client is an inbound Event Socket connection: fsstar dials the switch
// (port 8021 by default), authenticates, and sends api, bgapi, sendmsg and
// event commands. It is safe for use by many goroutines. See the package
// documentation for the threading model, the overflow policy and errors.
type Client struct {
	addr   string
	opts   options
	log    hclog.Logger
	router *router
	ctx    context.Context // cancelled by Close: stops reconnect attempts
	cancel context.CancelFunc

	// subMu serializes changes of the subscriptions recorded below with
	// their replay on a new connection.
	subMu   sync.Mutex
	events  []string // subscribed event names
	customs []string // subscribed CUSTOM subclasses
	// holds counts the holders of each subscription taken with Hold
	// ("ALL", "CHANNEL_ANSWER", "CUSTOM a::b"); held marks the ones that
	// exist only because of holds (Subscribe makes one permanent).
	holds    map[string]int
	held     map[string]bool
	filters  []Header
	logLevel string

	mu     sync.Mutex
	cur    *core
	closed bool

	wg         sync.WaitGroup
	reconnects atomic.Uint64
}

// Dial connects to the switch's event socket at addr (host:port), waits for
// its auth/request banner and authenticates. A wrong password fails with an
// *AuthError, an ACL refusal with ErrRejected, a silent peer with
// ErrNoBanner after the dial timeout.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{addr: addr, opts: o, log: o.log.With("switch", addr), router: &router{def: o.eventBuffer}}
	k, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.cur = k
	c.wg.Add(1)
	go c.supervise(k)
	c.log.Debug("connected")
	return c, nil
}

// DefaultReconnect is the policy NewClient uses when no WithReconnect is given.
func DefaultReconnect() ReconnectPolicy {
	return ReconnectPolicy{Initial: 100 * time.Millisecond, Max: 10 * time.Second, Jitter: 0.5}
}

// NewClient returns a Client for the switch at addr that connects in the
// background, so a long-running service can start while the switch is
// down. Until the first connection is made, and while a lost one is being
// re-established, commands fail at once with an error matching
// ErrConnLost; subscriptions and filters asked for meanwhile are recorded
// and sent when the connection comes. It reconnects with the WithReconnect
// policy, or DefaultReconnect when none is given; WithStateHook reports
// StateConnected on every (re)connection. A wrong password is not fatal
// here: it is logged and retried with backoff. Use Dial when the caller
// needs the switch now.
func NewClient(addr string, opts ...Option) *Client {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.reconnect == nil {
		p := DefaultReconnect()
		o.reconnect = &p
	}
	c := &Client{addr: addr, opts: o, log: o.log.With("switch", addr), router: &router{def: o.eventBuffer}}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.wg.Add(1)
	go c.supervise(nil)
	return c
}

// connect dials, reads the banner and authenticates.
func (c *Client) connect(ctx context.Context) (*core, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.dialTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("esl: dial %s: %w", c.addr, err)
	}
	k := newCore(nc, c.opts.limits, c.log, c.router, c.opts.writeTimeout)
	go k.run()
	select {
	case <-k.banner:
	case <-k.done:
		return nil, fmt.Errorf("esl: dial %s: %w", c.addr, k.Err())
	case <-ctx.Done():
		k.close()
		return nil, fmt.Errorf("esl: dial %s: %w: %w", c.addr, ErrNoBanner, ctx.Err())
	}
	line := "auth " + c.opts.password
	if c.opts.user != "" {
		line = "userauth " + c.opts.user + ":" + c.opts.password
	}
	if _, err := k.command(ctx, line, nil, nil); err != nil {
		k.close()
		if ce, ok := errors.AsType[*CommandError](err); ok {
			return nil, &AuthError{User: c.opts.user, Reply: ce.Reply}
		}
		return nil, fmt.Errorf("esl: authenticate on %s: %w", c.addr, err)
	}
	return k, nil
}

// supervise watches the connection; when it drops it reports the state and,
// with a reconnect policy, dials again and restores the subscriptions.
func (c *Client) supervise(k *core) {
	defer c.wg.Done()
	for {
		var err error
		if k == nil {
			err = fmt.Errorf("esl: not connected to %s yet: %w", c.addr, ErrConnLost)
		} else {
			select {
			case <-k.done:
			case <-c.ctx.Done():
				return
			}
			if c.isClosed() {
				return
			}
			err = k.Err()
			c.log.Warn("connection lost", "error", err)
			c.state(StateDisconnected, err)
		}
		p := c.opts.reconnect
		if p == nil {
			c.router.close(err)
			c.state(StateClosed, err)
			return
		}
		first := k == nil
		for attempt := 0; ; attempt++ {
			if p.MaxAttempts > 0 && attempt >= p.MaxAttempts {
				c.log.Error("giving up reconnecting", "attempts", attempt, "error", err)
				c.router.close(err)
				c.state(StateClosed, err)
				return
			}
			if !first || attempt > 0 {
				t := time.NewTimer(p.delay(attempt))
				select {
				case <-t.C:
				case <-c.ctx.Done():
					t.Stop()
					return
				}
			}
			nk, rerr := c.connect(c.ctx)
			if rerr == nil {
				rerr = c.restore(nk)
			}
			if rerr != nil {
				if c.isClosed() {
					return
				}
				c.log.Warn("connect failed", "attempt", attempt+1, "error", rerr)
				continue
			}
			k = nk
			if first {
				c.log.Debug("connected")
			} else {
				c.reconnects.Add(1)
				c.log.Info("reconnected", "attempt", attempt+1)
			}
			c.state(StateConnected, nil)
			break
		}
	}
}

// restore replays the recorded subscriptions on k and makes it current.
func (c *Client) restore(k *core) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.dialTimeout)
	defer cancel()
	var cmds []string
	if line := c.eventLine(); line != "" {
		cmds = append(cmds, line)
	}
	for _, f := range c.filters {
		cmds = append(cmds, "filter "+f.Name+" "+f.Value)
	}
	if c.logLevel != "" {
		cmds = append(cmds, "log "+c.logLevel)
	}
	// Pipeline them: one round trip.
	calls := make([]*call, 0, len(cmds))
	for _, line := range cmds {
		cl, err := k.start(ctx, line, nil, nil)
		if err != nil {
			k.close()
			return err
		}
		calls = append(calls, cl)
	}
	for i, cl := range calls {
		f, err := k.wait(ctx, cl)
		if err == nil {
			err = replyError(cmds[i], f.ReplyText())
		}
		if err != nil {
			k.close()
			return fmt.Errorf("esl: restoring subscriptions: %w", err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		k.close()
		return ErrClosed
	}
	c.cur = k
	return nil
}

// eventLine is the event command that restores every subscribed name.
func (c *Client) eventLine() string {
	if len(c.events) == 0 && len(c.customs) == 0 {
		return ""
	}
	parts := append([]string{"event", c.opts.format}, c.events...)
	if len(c.customs) > 0 {
		if !slices.Contains(c.events, "CUSTOM") {
			parts = append(parts, "CUSTOM")
		}
		parts = append(parts, c.customs...)
	}
	return strings.Join(parts, " ")
}

func (c *Client) state(s State, err error) {
	if c.opts.onState != nil {
		c.opts.onState(s, err)
	}
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// core returns the current connection (possibly a dead one while
// reconnecting: its commands then fail at once with ErrConnLost).
func (c *Client) core() (*core, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.cur == nil {
		return nil, fmt.Errorf("esl: not connected to %s yet: %w", c.addr, ErrConnLost)
	}
	return c.cur, nil
}

// Close sends exit, closes the connection, ends every subscription with
// ErrClosed and stops reconnecting. Pending calls fail with ErrClosed. It is
// idempotent and leaves no goroutine behind.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	k := c.cur
	c.mu.Unlock()
	c.cancel()
	if k != nil {
		k.markClosing()
		if k.Err() == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, _ = k.command(ctx, "exit", nil, nil)
			cancel()
		}
		k.close()
	}
	c.wg.Wait()
	c.router.close(ErrClosed)
	c.state(StateClosed, nil)
	return nil
}

// SendCommand sends one raw command (its first line, headers, body) and
// returns the reply frame. A command/reply starting with -ERR is returned
// with a *CommandError.
func (c *Client) SendCommand(ctx context.Context, line string, h Headers, body []byte) (*Frame, error) {
	k, err := c.core()
	if err != nil {
		return nil, err
	}
	return k.command(ctx, line, h, body)
}

// API runs a blocking "api cmd" and returns its output as the switch sent
// it. Output starting with -ERR or -USAGE (including "-ERR no reply") is
// also returned as a *CommandError. When ctx ends first API returns
// ctx.Err(); the reply is discarded when it comes.
func (c *Client) API(ctx context.Context, cmd string) (string, error) {
	k, err := c.core()
	if err != nil {
		return "", err
	}
	return k.api(ctx, cmd)
}

// BgAPI runs "bgapi cmd" with a Job-UUID of its own and waits for the
// matching BACKGROUND_JOB event, whose Body is the command's output. It
// subscribes to BACKGROUND_JOB on first use.
func (c *Client) BgAPI(ctx context.Context, cmd string) (*Event, error) {
	j, err := c.BgAPIAsync(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return j.Wait(ctx)
}

// BgAPIAsync starts "bgapi cmd" and returns once the switch accepted it;
// the Job delivers the BACKGROUND_JOB event later.
func (c *Client) BgAPIAsync(ctx context.Context, cmd string) (*Job, error) {
	if err := c.ensure(ctx, "BACKGROUND_JOB"); err != nil {
		return nil, err
	}
	k, err := c.core()
	if err != nil {
		return nil, err
	}
	return k.bgapi(ctx, cmd)
}

// SendMsg sends "sendmsg uuid" with the given headers and body (see
// Execute and Hangup for the common messages).
func (c *Client) SendMsg(ctx context.Context, uuid string, h Headers, body []byte) error {
	_, err := c.SendCommand(ctx, sendmsgLine(uuid), h, body)
	return err
}

// Execute runs a dialplan application on the channel uuid through sendmsg
// with an Event-UUID of its own, and waits for the CHANNEL_EXECUTE_COMPLETE
// that names it as Application-UUID (its variable_* headers carry results
// such as read's). If the channel hangs up first it returns a *HangupError.
// It subscribes to CHANNEL_EXECUTE_COMPLETE and CHANNEL_HANGUP on first use;
// a Filter that keeps the channel's events out makes it wait until ctx ends.
func (c *Client) Execute(ctx context.Context, uuid, app, arg string, opts ExecuteOptions) (*Event, error) {
	if err := c.ensure(ctx, "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP"); err != nil {
		return nil, err
	}
	k, err := c.core()
	if err != nil {
		return nil, err
	}
	return k.execute(ctx, uuid, uuid, app, arg, opts)
}

// Hangup hangs up the channel uuid with cause (e.g. "NORMAL_CLEARING";
// empty lets the switch choose).
func (c *Client) Hangup(ctx context.Context, uuid, cause string) error {
	return c.SendMsg(ctx, uuid, hangupMessage(cause), nil)
}

// SendEvent fires e in the switch ("sendevent NAME" with e's other headers
// and body) and returns the Event-UUID the switch gave it.
func (c *Client) SendEvent(ctx context.Context, e *Event) (string, error) {
	name := e.Name()
	if name == "" {
		return "", errors.New("esl: sendevent: the event has no Event-Name")
	}
	var h Headers
	for _, x := range e.Headers {
		if x.Name != "Event-Name" && !strings.EqualFold(x.Name, "Content-Length") {
			h = append(h, x)
		}
	}
	f, err := c.SendCommand(ctx, "sendevent "+name, h, e.Body)
	if err != nil {
		return "", err
	}
	id, _ := strings.CutPrefix(f.ReplyText(), "+OK ")
	return strings.TrimSpace(id), nil
}

// Subscribe asks the switch for events ("event <format> names..."). A name
// after "CUSTOM" is a subclass, as in "CUSTOM sofia::register". The
// subscription is restored after a reconnect. Events reach the program
// through Listen.
func (c *Client) Subscribe(ctx context.Context, names ...string) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	for _, k := range holdKeys(names) {
		delete(c.held, k) // permanent now: a release of a Hold keeps it
	}
	return c.subscribeLocked(ctx, names)
}

// Hold subscribes names (as Subscribe) for as long as the returned release
// is not called. Several holders of the same name share its subscription;
// the last release sends nixevent for it, unless a plain Subscribe asked for
// it too. It is how a script's EventConsumer on the shared connection goes
// away with the consumer: an EventConsumer("all") no longer floods the
// connection until fsstar restarts. Releasing ALL (which nixes every event
// name on the switch) subscribes the names still wanted again.
func (c *Client) Hold(ctx context.Context, names ...string) (release func(context.Context) error, err error) {
	keys := holdKeys(names)
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if c.holds == nil {
		c.holds, c.held = map[string]int{}, map[string]bool{}
	}
	var missing []string
	for _, k := range keys {
		ev, sub, _ := strings.Cut(k, " ")
		subscribed := slices.Contains(c.events, ev)
		if sub != "" {
			subscribed = slices.Contains(c.customs, sub)
		}
		if !subscribed && c.holds[k] == 0 {
			missing = append(missing, strings.Fields(k)...)
			c.held[k] = true
		}
	}
	if len(missing) > 0 {
		if err := c.subscribeLocked(ctx, missing); err != nil {
			for _, k := range keys {
				if c.holds[k] == 0 {
					delete(c.held, k)
				}
			}
			return nil, err
		}
	}
	for _, k := range keys {
		c.holds[k]++
	}
	var once sync.Once
	return func(ctx context.Context) error {
		var err error
		once.Do(func() { err = c.release(ctx, keys) })
		return err
	}, nil
}

// holdKeys are the keys of Hold: event names, and "CUSTOM <subclass>" for
// the subclasses after CUSTOM.
func holdKeys(names []string) []string {
	evs, customs := splitCustom(names)
	var keys []string
	for _, e := range evs {
		if e != "CUSTOM" || len(customs) == 0 {
			keys = append(keys, e)
		}
	}
	for _, s := range customs {
		keys = append(keys, "CUSTOM "+s)
	}
	return keys
}

// release ends one hold of keys.
func (c *Client) release(ctx context.Context, keys []string) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	var drop []string
	for _, k := range keys {
		if c.holds[k]--; c.holds[k] > 0 {
			continue
		}
		delete(c.holds, k)
		if c.held[k] {
			delete(c.held, k)
			drop = append(drop, k)
		}
	}
	if len(drop) == 0 {
		return nil
	}
	var evs, customs []string
	for _, k := range drop {
		if sub, ok := strings.CutPrefix(k, "CUSTOM "); ok {
			customs = append(customs, sub)
		} else {
			evs = append(evs, k)
		}
	}
	var errs []error
	if len(evs) > 0 {
		record, err := c.control(ctx, "nixevent "+strings.Join(evs, " "))
		if record {
			c.events = slices.DeleteFunc(c.events, func(n string) bool { return slices.Contains(evs, n) })
		}
		errs = append(errs, err)
		if slices.Contains(evs, "ALL") && len(c.events) > 0 {
			// nixevent ALL nixed every name: ask again for those still wanted.
			_, err := c.control(ctx, "event "+c.opts.format+" "+strings.Join(c.events, " "))
			errs = append(errs, err)
		}
	}
	if len(customs) > 0 {
		record, err := c.control(ctx, "nixevent CUSTOM "+strings.Join(customs, " "))
		if record {
			c.customs = slices.DeleteFunc(c.customs, func(n string) bool { return slices.Contains(customs, n) })
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *Client) subscribeLocked(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return errors.New("esl: subscribe: no event names")
	}
	record, err := c.control(ctx, "event "+c.opts.format+" "+strings.Join(names, " "))
	if !record {
		return err
	}
	evs, customs := splitCustom(names)
	for _, n := range evs {
		if !slices.Contains(c.events, n) {
			c.events = append(c.events, n)
		}
	}
	for _, n := range customs {
		if !slices.Contains(c.customs, n) {
			c.customs = append(c.customs, n)
		}
	}
	return err
}

// control sends a command that changes what the connection receives
// (event, nixevent, filter, log...). It reports whether the change is to be
// recorded for replay on the next connection: when the switch accepted it,
// or when no connection is up (the change then takes effect on the next
// one, and err matches ErrConnLost). c.subMu is held.
func (c *Client) control(ctx context.Context, line string) (record bool, err error) {
	k, err := c.core()
	if err == nil {
		_, err = k.command(ctx, line, nil, nil)
	}
	return err == nil || errors.Is(err, ErrConnLost), err
}

// ensure subscribes to the names not subscribed yet.
func (c *Client) ensure(ctx context.Context, names ...string) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	for _, k := range holdKeys(names) {
		delete(c.held, k) // fsstar needs these itself: a Hold's release keeps them
	}
	var missing []string
	for _, n := range names {
		if !slices.Contains(c.events, n) && !slices.Contains(c.events, "ALL") {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return c.subscribeLocked(ctx, missing)
}

// splitCustom separates event names from the CUSTOM subclasses after "CUSTOM".
func splitCustom(names []string) (events, customs []string) {
	custom := false
	for _, n := range names {
		switch {
		case custom:
			customs = append(customs, n)
		case n == "CUSTOM":
			custom = true
			events = append(events, n)
		default:
			events = append(events, n)
		}
	}
	return events, customs
}

// Unsubscribe stops events ("nixevent names...").
func (c *Client) Unsubscribe(ctx context.Context, names ...string) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	record, err := c.control(ctx, "nixevent "+strings.Join(names, " "))
	if !record {
		return err
	}
	evs, customs := splitCustom(names)
	c.events = slices.DeleteFunc(c.events, func(n string) bool { return slices.Contains(evs, n) && n != "CUSTOM" })
	c.customs = slices.DeleteFunc(c.customs, func(n string) bool { return slices.Contains(customs, n) })
	return err
}

// NoEvents stops every event subscription ("noevents").
func (c *Client) NoEvents(ctx context.Context) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	record, err := c.control(ctx, "noevents")
	if record {
		c.events, c.customs = nil, nil
	}
	return err
}

// Filter adds an event filter ("filter header value"): once a filter exists
// the switch sends only events matching one of them. It is restored after
// a reconnect.
func (c *Client) Filter(ctx context.Context, header, value string) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	record, err := c.control(ctx, "filter "+header+" "+value)
	if record {
		c.filters = append(c.filters, Header{header, value})
	}
	return err
}

// FilterDelete removes filters ("filter delete header [value]"); an empty
// value removes every filter on header, header "all" removes all filters.
func (c *Client) FilterDelete(ctx context.Context, header, value string) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	record, err := c.control(ctx, strings.TrimSpace("filter delete "+header+" "+value))
	if record {
		c.filters = slices.DeleteFunc(c.filters, func(f Header) bool {
			return header == "all" || (f.Name == header && (value == "" || f.Value == value))
		})
	}
	return err
}

// Log asks for the switch's log lines at level and above ("log level",
// e.g. "7" or "debug"); they reach Listen(Match{Logs: true}).
func (c *Client) Log(ctx context.Context, level string) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	record, err := c.control(ctx, "log "+level)
	if record {
		c.logLevel = level
	}
	return err
}

// NoLog stops log lines ("nolog").
func (c *Client) NoLog(ctx context.Context) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	record, err := c.control(ctx, "nolog")
	if record {
		c.logLevel = ""
	}
	return err
}

// Listen returns a Subscription receiving the events that match m, in the
// order the switch sent them. It only routes what the connection receives:
// ask the switch for the events with Subscribe. Subscriptions survive
// reconnects; close them when done.
func (c *Client) Listen(m Match) *Subscription { return c.router.add(m) }

// Stats is a snapshot of a Client's counters, for metrics.
type Stats struct {
	// Connected is false while the connection is down.
	Connected bool
	// Reconnects counts successful reconnects.
	Reconnects uint64
	// Pending is the number of commands waiting for a reply.
	Pending int
	// Subscriptions is the number of open subscriptions.
	Subscriptions int
	// QueueDepth is the number of events queued over all subscriptions.
	QueueDepth int
	// Overflows counts subscriptions closed because their queue was full.
	Overflows uint64
	// Routed counts the events and log lines the reader routed.
	Routed uint64
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	k := c.cur
	c.mu.Unlock()
	connected, pending := false, 0
	if k != nil {
		connected, pending = k.Err() == nil, k.pendingCount()
	}
	return Stats{
		Connected:     connected,
		Reconnects:    c.reconnects.Load(),
		Pending:       pending,
		Subscriptions: c.router.len(),
		QueueDepth:    c.router.depth(),
		Overflows:     c.router.drops.Load(),
		Routed:        c.router.routed.Load(),
	}
}
