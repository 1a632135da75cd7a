package esl

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Conn is one outbound Event Socket connection: the switch's socket
// application connected to a Server for one call. The Server has already
// sent connect (Channel holds the reply) and subscribed to the call's
// events. A Conn is safe for use by many goroutines.
type Conn struct {
	k       *core
	router  *router
	channel *Event
	uuid    string
	log     hclog.Logger
	async   bool
	full    bool
	linger  bool

	ctx    context.Context
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	events   []string // event names subscribed with "event"
	closed   bool
	lingered bool // linger is on for this connection
}

// UUID returns the Unique-ID of the controlled channel.
func (c *Conn) UUID() string { return c.uuid }

// Channel returns the channel data of the connect reply: every channel
// header and variable_* header, URL-decoded, plus Socket-Mode and Control.
func (c *Conn) Channel() *Event { return c.channel }

// Variable returns a channel variable as it was at connect time (see GetVar
// for its current value).
func (c *Conn) Variable(name string) string { return c.channel.Variable(name) }

// Async reports whether the socket app runs in async mode ("Socket-Mode:
// async"); in static mode a sendmsg is answered only when the application
// has finished.
func (c *Conn) Async() bool { return c.async }

// Full reports whether the socket app gave full control ("Control: full");
// without it the switch refuses api, bgapi, linger and event.
func (c *Conn) Full() bool { return c.full }

// Logger returns the connection's logger, which names the call's uuid.
func (c *Conn) Logger() hclog.Logger { return c.log }

// Done is closed when the call hangs up, the connection ends, or the server
// shuts down: the same moment the handler's context is cancelled.
func (c *Conn) Done() <-chan struct{} { return c.ctx.Done() }

// Err returns why Done was closed: a *HangupError, ErrConnLost, ErrClosed or
// ErrServerClosed; nil while the call is up.
func (c *Conn) Err() error {
	if c.ctx.Err() == nil {
		return nil
	}
	return context.Cause(c.ctx)
}

// Execute runs a dialplan application on the call with event-lock and
// waits for its CHANNEL_EXECUTE_COMPLETE (see ExecuteWith).
func (c *Conn) Execute(ctx context.Context, app, arg string) (*Event, error) {
	return c.ExecuteWith(ctx, app, arg, ExecuteOptions{EventLock: true})
}

// ExecuteWith runs a dialplan application through sendmsg with an
// Event-UUID of its own and returns the CHANNEL_EXECUTE_COMPLETE naming it
// as Application-UUID; its variable_* headers carry the results of read or
// play_and_get_digits. A hangup returns a *HangupError at once.
func (c *Conn) ExecuteWith(ctx context.Context, app, arg string, opts ExecuteOptions) (*Event, error) {
	return c.k.execute(ctx, "", c.uuid, app, arg, opts)
}

// API runs a blocking api command over the call's own connection (needs
// "async full"; otherwise the switch answers -ERR command not found, which
// is returned as a *CommandError).
func (c *Conn) API(ctx context.Context, cmd string) (string, error) {
	return c.k.api(ctx, cmd)
}

// SendCommand sends one raw command and returns the reply frame.
func (c *Conn) SendCommand(ctx context.Context, line string, h Headers, body []byte) (*Frame, error) {
	return c.k.command(ctx, line, h, body)
}

// GetVar returns the current value of a channel variable ("getvar name");
// ok is false when the variable is not set.
func (c *Conn) GetVar(ctx context.Context, name string) (value string, ok bool, err error) {
	f, err := c.k.command(ctx, "getvar "+name, nil, nil)
	if ce, isCE := errors.AsType[*CommandError](err); isCE && ce.Reply == "-ERR command not found" {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return f.ReplyText(), true, nil
}

// SetVar sets a channel variable to exactly value, which the switch never
// evaluates: "api uuid_setvar" with the value quoted (QuoteArg) with full
// control, else the set application, whose data and value the switch
// expands (EscapeVars on both). An empty value unsets the variable.
func (c *Conn) SetVar(ctx context.Context, name, value string) error {
	if c.full {
		_, err := c.k.api(ctx, "uuid_setvar "+c.uuid+" "+QuoteArg(name)+" "+QuoteArg(value))
		return err
	}
	_, err := c.ExecuteWith(ctx, "set", EscapeVars(name+"="+EscapeVars(value)), ExecuteOptions{EventLock: true})
	return err
}

// Hangup hangs up the call with cause (e.g. "NORMAL_CLEARING").
func (c *Conn) Hangup(ctx context.Context, cause string) error {
	_, err := c.k.command(ctx, "sendmsg", hangupMessage(cause), nil)
	return err
}

// Resume makes the dialplan continue after the socket application ends
// instead of hanging up ("resume").
func (c *Conn) Resume(ctx context.Context) error {
	_, err := c.k.command(ctx, "resume", nil, nil)
	return err
}

// Linger keeps the socket open after hangup so the last events arrive
// ("linger", or "linger N" to close N seconds later when n > 0).
func (c *Conn) Linger(ctx context.Context, n int) error {
	line := "linger"
	if n > 0 {
		line += " " + strconv.Itoa(n)
	}
	if _, err := c.k.command(ctx, line, nil, nil); err != nil {
		return err
	}
	c.mu.Lock()
	c.lingered = true
	c.mu.Unlock()
	return nil
}

// NoLinger turns linger off ("nolinger").
func (c *Conn) NoLinger(ctx context.Context) error {
	if _, err := c.k.command(ctx, "nolinger", nil, nil); err != nil {
		return err
	}
	c.mu.Lock()
	c.lingered = false
	c.mu.Unlock()
	return nil
}

// Subscribe adds event names to the call's subscription ("event plain
// names...", full control only). Only the call's own events come, because
// of the Unique-ID filter.
func (c *Conn) Subscribe(ctx context.Context, names ...string) error {
	c.mu.Lock()
	var missing []string
	for _, n := range names {
		if !strings.EqualFold(n, "CUSTOM") && contains(c.events, n) {
			continue
		}
		missing = append(missing, n)
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	if _, err := c.k.command(ctx, "event plain "+strings.Join(missing, " "), nil, nil); err != nil {
		return err
	}
	c.mu.Lock()
	c.events = append(c.events, missing...)
	c.mu.Unlock()
	return nil
}

// Unsubscribe removes event names from the call's subscription ("nixevent
// names..."). Names not subscribed are skipped without a round trip.
func (c *Conn) Unsubscribe(ctx context.Context, names ...string) error {
	c.mu.Lock()
	var present []string
	for _, n := range names {
		if slices.Contains(c.events, n) {
			present = append(present, n)
		}
	}
	c.mu.Unlock()
	if len(present) == 0 {
		return nil
	}
	if _, err := c.k.command(ctx, "nixevent "+strings.Join(present, " "), nil, nil); err != nil {
		return err
	}
	c.mu.Lock()
	c.events = slices.DeleteFunc(c.events, func(n string) bool { return slices.Contains(present, n) })
	c.mu.Unlock()
	return nil
}

// Subscribed reports whether the event name is part of the call's
// subscription (at connect or through Subscribe), so that a caller can
// undo only what it added itself.
func (c *Conn) Subscribed(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return contains(c.events, name)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s || x == "ALL" {
			return true
		}
	}
	return false
}

// Listen returns a Subscription receiving this connection's events that
// match m (see Subscribe to ask the switch for more event names).
func (c *Conn) Listen(m Match) *Subscription { return c.router.add(m) }

// DTMF subscribes to DTMF events if needed and returns a Subscription of them.
func (c *Conn) DTMF(ctx context.Context) (*Subscription, error) {
	if err := c.Subscribe(ctx, "DTMF"); err != nil {
		return nil, err
	}
	return c.router.add(Match{Names: []string{"DTMF"}}), nil
}

// Close ends the connection: with linger on it sends exit first, so the
// switch releases the channel. It is idempotent; the Server calls it when
// the handler returns.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	lingered := c.lingered
	c.mu.Unlock()
	if lingered && c.k.Err() == nil {
		c.k.markClosing()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, _ = c.k.command(ctx, "exit", nil, nil)
		cancel()
	}
	c.k.close()
	c.cancel(ErrClosed)
	c.router.close(ErrClosed)
	return nil
}

// onEvent watches the call's events from the reader goroutine.
func (c *Conn) onEvent(ev *Event) {
	if ev.Name() == "CHANNEL_HANGUP" && ev.UniqueID() == c.uuid {
		herr := &HangupError{UUID: c.uuid, Cause: ev.Get("Hangup-Cause"), Event: ev}
		c.k.setHangup(herr)
		c.log.Debug("call hung up", "cause", herr.Cause)
		c.cancel(herr)
	}
}

// onNotice watches disconnect notices: the linger one means the call hung up.
func (c *Conn) onNotice(f *Frame) {
	herr := &HangupError{UUID: c.uuid}
	c.k.setHangup(herr) // keeps the cause of an earlier CHANNEL_HANGUP
	c.cancel(c.k.hangupErr())
}

// onDone is called by the reader when the connection has ended.
func (c *Conn) onDone(err error) {
	c.cancel(err)
	c.router.close(err)
}
