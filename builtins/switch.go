package builtins

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

// errNoClient is the error of an inbound-only builtin without an inbound
// ESL connection.
var errNoClient = errors.New("no inbound ESL connection is configured (Options.Client / Call.Client)")

// errNoSwitch is the error of a builtin that needs the switch when the call
// has no connection to one at all.
var errNoSwitch = errors.New("no switch connection: the call has no ESL connection and no inbound ESL connection is configured")

// client returns the inbound connection of the call, else the server's.
func (e *env) client(c *Call) *esl.Client {
	if c != nil && c.Client != nil {
		return c.Client
	}
	return e.opts.Client
}

// api runs an api command on the switch that owns the call: over the call's
// own Conn (async full) when it has one and it is still up, else over the
// inbound client.
func (e *env) api(c *Call, cmd string) (string, error) {
	return callAPI(c.ctx(), c, e.client(c), cmd)
}

func callAPI(ctx context.Context, c *Call, client *esl.Client, cmd string) (string, error) {
	var out string
	var err error
	switch {
	case c != nil && c.Conn != nil && c.Conn.Full() && (c.Conn.Err() == nil || client == nil):
		out, err = c.Conn.API(ctx, cmd)
	case client != nil:
		out, err = client.API(ctx, cmd)
	default:
		return "", errNoSwitch
	}
	// mod_event_socket answers "-ERR no reply" for a command that printed
	// nothing (global_getvar of an unset variable...): mod_lua's
	// API.execute gets "" there.
	if esl.IsNoReply(err) {
		return "", nil
	}
	return out, err
}

// sendEvent fires ev over the call's Conn, else over client.
func sendEvent(ctx context.Context, c *Call, client *esl.Client, ev *esl.Event) error {
	if c != nil && c.Conn != nil && c.Conn.Full() && (c.Conn.Err() == nil || client == nil) {
		return connSendEvent(ctx, c.Conn, ev)
	}
	if client != nil {
		_, err := client.SendEvent(ctx, ev)
		return err
	}
	return errNoSwitch
}

// connSendEvent is esl.Client.SendEvent over an outbound connection.
func connSendEvent(ctx context.Context, conn *esl.Conn, ev *esl.Event) error {
	name := ev.Name()
	if name == "" {
		return errors.New("the event has no Event-Name")
	}
	var h esl.Headers
	for _, x := range ev.Headers {
		if x.Name != "Event-Name" && !strings.EqualFold(x.Name, "Content-Length") {
			h = append(h, x)
		}
	}
	_, err := conn.SendCommand(ctx, "sendevent "+name, h, ev.Body)
	return err
}

// switchLog forwards a consoleLog line to the switch's log ("api log").
func (e *env) switchLog(c *Call, level, msg string, clean bool) error {
	if c != nil && c.SwitchLog != nil {
		return c.SwitchLog(c.ctx(), level, msg, clean)
	}
	if (c == nil || c.Conn == nil) && e.client(c) == nil {
		return nil // no switch: the local log is all there is
	}
	msg = strings.TrimRight(msg, "\r\n")
	msg = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(msg)
	_, err := e.api(c, "log "+level+" "+msg)
	return err
}

// apiValue is what freeswitch.API() returns.
type apiValue struct{ env *env }

var _ starlark.HasAttrs = apiValue{}

func (a apiValue) String() string        { return "<freeswitch.API>" }
func (a apiValue) Type() string          { return "API" }
func (a apiValue) Freeze()               {}
func (a apiValue) Truth() starlark.Bool  { return starlark.True }
func (a apiValue) Hash() (uint32, error) { return 0, errors.New("unhashable type: API") }

// apiMethods are the Starlark methods of an API value.
var apiMethods = methods[apiValue]{
	"execute":       apiValue.execute,
	"executeString": apiValue.executeString,
	"getTime":       apiValue.getTime,
}

// Attr returns the method called name (apiMethods).
func (a apiValue) Attr(name string) (starlark.Value, error) { return apiMethods.attr(a, "API", name) }

// AttrNames lists the methods of apiMethods.
func (a apiValue) AttrNames() []string { return apiMethods.names() }

// newAPI is freeswitch.API(session=None). The session is accepted as in
// mod_lua, but over ESL an api command runs without one: commands that read
// the calling channel (eval, expand) see none.
func (e *env) newAPI(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sess starlark.Value = starlark.None
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "session?", &sess); err != nil {
		return nil, err
	}
	if _, ok := sess.(*Session); !ok && sess != starlark.None {
		return nil, fmt.Errorf("%s: session: got %s, want a Session or None", fn.Name(), sess.Type())
	}
	return apiValue{env: e}, nil
}

func (a apiValue) execute(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cmd, arg string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "cmd", &cmd, "args?", &arg); err != nil {
		return nil, err
	}
	return a.run(thread, fn, strings.TrimSpace(cmd+" "+arg))
}

func (a apiValue) executeString(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var s string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "cmd", &s); err != nil {
		return nil, err
	}
	return a.run(thread, fn, strings.TrimSpace(s))
}

// run returns the command's output as the switch wrote it; an output that
// starts with -ERR or -USAGE is returned too (as FreeSWITCH's API does),
// only a broken connection is an error.
func (a apiValue) run(thread *starlark.Thread, fn *starlark.Builtin, cmd string) (starlark.Value, error) {
	if cmd == "" {
		return nil, fmt.Errorf("%s: empty command", fn.Name())
	}
	if strings.ContainsAny(cmd, "\r\n") {
		return nil, fmt.Errorf("%s: the command holds a line break", fn.Name())
	}
	out, err := a.env.api(CallOf(thread), cmd)
	if ce, ok := errors.AsType[*esl.CommandError](err); ok {
		// -ERR / -USAGE output is the command's answer, as the switch's API
		// returns it; only a failed connection is an error.
		if out == "" {
			out = ce.Reply + "\n"
		}
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", fn.Name(), cmd, err)
	}
	return starlark.String(out), nil
}

func (a apiValue) getTime(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return starlark.String(strconv.FormatInt(nowMillis(), 10)), nil // a string, as mod_lua's
}

func (e *env) getGlobalVariable(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	if err := checkVarName(name); err != nil {
		return nil, fmt.Errorf("%s: %v", fn.Name(), err)
	}
	out, err := e.api(CallOf(thread), "global_getvar "+name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	if out == "" || out == "_undef_" {
		return starlark.None, nil
	}
	return starlark.String(out), nil
}

func (e *env) setGlobalVariable(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, value string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name, "value", &value); err != nil {
		return nil, err
	}
	if err := checkVarName(name); err != nil {
		return nil, fmt.Errorf("%s: %v", fn.Name(), err)
	}
	if strings.IndexByte(value, 0) >= 0 {
		return nil, fmt.Errorf("%s: the value holds a NUL byte", fn.Name())
	}
	// global_setvar splits on '=' (a third part is a condition) and
	// unquotes: both parts quoted, the value is stored byte for byte.
	if _, err := e.api(CallOf(thread), "global_setvar "+esl.QuoteArg(name)+"="+esl.QuoteArg(value)); err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	return starlark.None, nil
}

// running reports whether the call (or the service, for a runtime job) is
// still going: False once its context is cancelled.
func running(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return starlark.Bool(CallOf(thread).ctx().Err() == nil), nil
}

// checkVarName refuses a variable name that would break the command line.
func checkVarName(name string) error {
	if name == "" {
		return errors.New("empty variable name")
	}
	if strings.ContainsAny(name, " \t\r\n=") {
		return fmt.Errorf("invalid variable name %q (no spaces, '=' or line breaks)", name)
	}
	return nil
}
