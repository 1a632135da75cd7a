package builtins

import (
	"context"
	"errors"
	"sync"

	"github.com/fsstar/fsstar/esl"
	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"
)

// Call is the per-call state the builtins read from the Starlark thread that
// runs the call. The engine makes one for every run of an entry point, puts it
// on the thread with Attach (or SetCall) before executing, and calls Close
// when the run ends. The Session half adds its fields here (the call's ESL
// connection and Session value) so that every builtin reaches them the same
// way. Builtins never keep state in package variables: everything a call owns
// is reached from here.
//
// Every field is optional. A thread without a Call (a test, the REPL before it
// is connected) behaves as if it had an empty Call: background context, the
// Options.Logger, no switch.
type Call struct {
	// Context ends the call: when it is cancelled (hangup, request timeout,
	// shutdown) blocking builtins (msleep, Dbh queries) return promptly with
	// an error. Attach also cancels the thread then, so that a script busy in
	// pure Starlark stops as well.
	Context context.Context

	// Logger receives consoleLog / consoleCleanLog. The engine gives it the
	// call's fields (uuid, module); the builtins add fs_level.
	Logger hclog.Logger

	// UUID is the channel uuid of the call, "" without a channel.
	UUID string

	// SwitchLog, when set, forwards consoleLog and consoleCleanLog to the
	// switch's own log as well (over ESL: `api log <level> <msg>`). level is
	// the FreeSWITCH level name ("info", "err", ...); clean is true for
	// consoleCleanLog. An error is logged locally at warn level and does not
	// fail the script: a log line must not end a call.
	SwitchLog func(ctx context.Context, level, msg string, clean bool) error

	// FireEvent, when set, sends an event to the switch (over ESL:
	// `sendevent <name>` with the event's headers and body). Event.fire fails
	// with an error naming it when there is none.
	FireEvent func(ctx context.Context, ev *esl.Event) error

	// Conn is the call's own outbound connection (the socket app that
	// brought the call to fsstar), nil for runtime jobs, fsapi and xml_fetch.
	// API(), consoleLog and Event.fire go over it when it is there (it needs
	// "async full"), so they reach the switch that owns the call.
	Conn *esl.Conn

	// Client is the inbound connection used for what the call's Conn cannot
	// do (freeswitch.Session, EventConsumer) and for API() without a Conn.
	// Nil means Options.Client, the server-wide one.
	Client *esl.Client

	mu      sync.Mutex
	closers []func() error
	closed  bool
}

const callKey = "fsstar.builtins.call"

// SetCall attaches c to thread. Call it before the thread executes any code.
func SetCall(thread *starlark.Thread, c *Call) { thread.SetLocal(callKey, c) }

// Attach sets c on thread (SetCall) and ties the two together: when
// c.Context ends, thread.Cancel is called with the context's cause, so that a
// script busy in pure Starlark stops as well as one blocked in a builtin. To
// stop a call, cancel its Context. The returned stop function unties them
// (call it when the run ends); it reports whether the tie was still in place.
func Attach(thread *starlark.Thread, c *Call) (stop func() bool) {
	SetCall(thread, c)
	if c == nil || c.Context == nil {
		return func() bool { return false }
	}
	ctx := c.Context
	return context.AfterFunc(ctx, func() { thread.Cancel(context.Cause(ctx).Error()) })
}

// CallOf returns the Call attached to thread, or nil.
func CallOf(thread *starlark.Thread) *Call {
	c, _ := thread.Local(callKey).(*Call)
	return c
}

// ctx returns the call's context, or context.Background without a call.
func (c *Call) ctx() context.Context {
	if c == nil || c.Context == nil {
		return context.Background()
	}
	return c.Context
}

// OnClose registers f to run when the call ends (Close). Builtins use it to
// give back what a script forgot to release (database handles). It reports
// false, without registering f, when the call is already closed.
func (c *Call) OnClose(f func() error) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.closers = append(c.closers, f)
	return true
}

// Close releases everything the call still holds (in reverse order of
// acquisition) and returns the errors joined. It is safe to call more than
// once; the engine calls it when the run ends, whatever the outcome, after
// the thread has returned (the values it releases are not safe for
// concurrent use with a running script).
func (c *Call) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	closers := c.closers
	c.closers, c.closed = nil, true
	c.mu.Unlock()
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		errs = append(errs, closers[i]())
	}
	return errors.Join(errs...)
}
