package builtins

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// rig is a simulated switch, an inbound client on it, and an outbound
// esl.Server whose handler runs a Starlark handler(session, args) the way
// the server does: NewOutboundSession, then the hangup hook after hangup.
type rig struct {
	t      *testing.T
	sw     *esltest.Switch
	client *esl.Client
	addr   string
	srv    *esl.Server
	opts   Options
	// bare leaves esl.Server.Events empty: the Session subscribes itself.
	bare bool
}

// callResult is what one call's script did.
type callResult struct {
	value   starlark.Value // handler's return value
	err     error          // handler's error
	hook    []string       // what the hangup hook was called with, in order
	session *Session
	notes   []string // what the script gave sim.note
	ch      *esltest.Channel
	call    *Call
}

func newRig(t *testing.T, opts ...esltest.Option) *rig {
	t.Helper()
	sw := esltest.NewSwitch(t, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client, err := esl.Dial(ctx, sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return &rig{t: t, sw: sw, client: client, opts: Options{Client: client}}
}

// call places a call into a fresh outbound server whose handler runs src's
// handler(session, args) and returns what happened once the call is over.
func (r *rig) call(src string, vars map[string]string, opts ...esltest.CallOption) *callResult {
	t := r.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res := &callResult{}
	done := make(chan struct{})
	var events []string
	if !r.bare {
		events = OutboundEvents()
	}
	srv := &esl.Server{Events: events, Handler: esl.HandlerFunc(func(_ context.Context, conn *esl.Conn) {
		defer close(done)
		call := &Call{Context: ctx, UUID: conn.UUID(), Client: r.client}
		defer call.Close()
		s := NewOutboundSession(call, conn)
		res.session, res.call = s, call
		res.ch = r.sw.Channel(conn.UUID())
		thread := &starlark.Thread{Name: conn.UUID(), Print: func(_ *starlark.Thread, msg string) { t.Log(msg) }}
		SetCall(thread, call)
		pre := Predeclared(r.opts)
		pre["sim"] = r.simModule(res)
		globals, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, "test.star", src, pre)
		if err == nil {
			res.value, err = starlark.Call(thread, globals["handler"], starlark.Tuple{s, starlark.String(conn.Variable("fsstar_args"))}, nil)
		}
		if ee, ok := err.(*starlark.EvalError); ok {
			err = &backtraceError{ee}
		}
		res.err = err
		// What the server does when the script ends.
		resumed := false
		if s.Ready() && !s.Transferred() {
			if s.AutoHangup() {
				_ = conn.Hangup(ctx, "NORMAL_CLEARING")
			} else {
				resumed = conn.Resume(ctx) == nil // the dialplan goes on once the socket closes
			}
		}
		if resumed {
			return
		}
		if !s.Transferred() {
			select {
			case <-conn.Done():
			case <-ctx.Done():
			}
		}
		for range 2 { // exactly once, however often it is asked for
			fn, args, ok := s.TakeHangupHook()
			if !ok {
				continue
			}
			argv := starlark.Tuple{s, starlark.String(s.HangupWhat())}
			if args != nil {
				argv = append(argv, args)
			}
			v, err := starlark.Call(&starlark.Thread{Name: "hook"}, fn, argv, nil)
			if err != nil {
				res.hook = append(res.hook, "error: "+err.Error())
			} else {
				res.hook = append(res.hook, v.String())
			}
		}
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	ch, err := r.sw.PlaceCall(ctx, l.Addr().String(), vars, opts...)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("the call did not end")
	}
	if res.ch == nil {
		res.ch = ch
	}
	// The switch records an app just after its CHANNEL_EXECUTE_COMPLETE:
	// wait for the channel's end so that Apps() is complete.
	select {
	case <-res.ch.Done():
	case <-ctx.Done():
		t.Fatal("the channel did not end")
	}
	return res
}

// simModule lets a script act as the caller on the simulated switch.
func (r *rig) simModule(res *callResult) *starlarkstruct.Module {
	ch := res.ch
	return &starlarkstruct.Module{Name: "sim", Members: starlark.StringDict{
		"note": starlark.NewBuiltin("sim.note", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var s string
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "s", &s); err != nil {
				return nil, err
			}
			res.notes = append(res.notes, s)
			return starlark.None, nil
		}),
		// dtmf(digits, after_ms=0, during="", each=False) presses digits
		// after_ms of simulated time from now or, with during, after_ms
		// into the next run of that application (on the channel's app
		// clock): digits an app must collect itself are lost when they
		// come before it starts (park drops them), and how long the script
		// takes to get there must not decide that. With each, the i-th
		// key goes into the i-th run of during from now on.
		"dtmf": starlark.NewBuiltin("sim.dtmf", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var digits, during string
			var after int
			var each bool
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "digits", &digits, "after_ms?", &after, "during?", &during, "each?", &each); err != nil {
				return nil, err
			}
			d := time.Duration(after) * time.Millisecond
			switch {
			case during == "":
				ch.SendDTMFAfter(d, digits)
			case each:
				ch.DTMFEachRun(during, d, strings.Split(digits, "")...)
			default:
				ch.DTMFDuring(during, d, digits)
			}
			return starlark.None, nil
		}),
		"hangup_after": starlark.NewBuiltin("sim.hangup_after", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var cause string
			var after int
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "cause", &cause, "after_ms", &after); err != nil {
				return nil, err
			}
			time.AfterFunc(time.Duration(after)*time.Millisecond, func() { ch.Hangup(cause) })
			return starlark.None, nil
		}),
		"hangup_uuid_after": starlark.NewBuiltin("sim.hangup_uuid_after", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var id, cause string
			var after int
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "uuid", &id, "cause", &cause, "after_ms", &after); err != nil {
				return nil, err
			}
			other := r.sw.Channel(id)
			if other == nil {
				return nil, fmt.Errorf("%s: no channel %s", fn.Name(), id)
			}
			time.AfterFunc(time.Duration(after)*time.Millisecond, func() { other.Hangup(cause) })
			return starlark.None, nil
		}),
		// answer_when(var, value, app) answers the channels up whose
		// variable var is value when the call's channel starts app (on the
		// switch's side: not a wall-clock delay).
		"answer_when": starlark.NewBuiltin("sim.answer_when", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var name, value, app string
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "var", &name, "value", &value, "app", &app); err != nil {
				return nil, err
			}
			ch.WhenApp(app, func() {
				for _, other := range r.sw.Channels() {
					if other.Var(name) == value {
						other.Answer()
					}
				}
			})
			return starlark.None, nil
		}),
		"var": starlark.NewBuiltin("sim.var", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var name string
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name); err != nil {
				return nil, err
			}
			return starlark.String(ch.Var(name)), nil
		}),
		"apps": starlark.NewBuiltin("sim.apps", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return starlark.String(strings.Join(appList(ch), "; ")), nil
		}),
		// hung_up(method, *args) calls method and returns the text of its
		// error, which must match ErrHungUp (else the script fails).
		"hung_up": starlark.NewBuiltin("sim.hung_up", func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if len(args) == 0 {
				return nil, fmt.Errorf("%s: want a method to call", fn.Name())
			}
			_, err := starlark.Call(thread, args[0], args[1:], kwargs)
			if err == nil {
				return nil, fmt.Errorf("%s: %s did not fail", fn.Name(), args[0])
			}
			if !errors.Is(err, ErrHungUp) {
				return nil, fmt.Errorf("%s: %s failed with %q, which does not match ErrHungUp", fn.Name(), args[0], err)
			}
			return starlark.String(err.Error()), nil
		}),
		// media() is the media commands the channel got, a run of breaks
		// shown as one: stopBackground breaks again every
		// mediaBreakEvery until the app's completion comes back, which a
		// busy machine can delay past the first retry.
		"media": starlark.NewBuiltin("sim.media", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var cmds []string
			for _, c := range ch.MediaCommands() {
				if c == "break" && len(cmds) > 0 && cmds[len(cmds)-1] == "break" {
					continue
				}
				cmds = append(cmds, c)
			}
			return starlark.String(strings.Join(cmds, ", ")), nil
		}),
	}}
}

// appList is "name arg" of every app the channel ran, park and socket left out.
func appList(ch *esltest.Channel) []string {
	var out []string
	for _, a := range ch.Apps() {
		if a.Name == "park" || a.Name == "socket" {
			continue
		}
		out = append(out, strings.TrimSpace(a.Name+" "+a.Arg))
	}
	return out
}

// check fails the test when the call's script failed or returned something
// else than want (its repr).
func (c *callResult) check(t *testing.T, want string) {
	t.Helper()
	if c.err != nil {
		t.Fatalf("script error: %v", c.err)
	}
	if got := c.value.String(); got != want {
		t.Fatalf("handler returned\n got %s\nwant %s", got, want)
	}
}

func (c *callResult) apps(t *testing.T, want ...string) {
	t.Helper()
	got := appList(c.ch)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("apps:\n got %q\nwant %q", got, want)
	}
}

func esltestApp(name, arg string) esltest.App { return esltest.App{Name: name, Arg: arg} }
