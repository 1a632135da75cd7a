package startest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
)

func contextOf(thread *starlark.Thread) context.Context { return engine.Context(thread) }

// profileVars are t.call variables that set the caller's profile instead of
// a channel variable.
var profileVars = map[string]bool{"caller_id_number": true, "caller_id_name": true, "destination_number": true}

// call(module, vars={}, args="", dtmf=[], hangup_after=None, timeout=10000,
// wait=True, expect_error=False)
func (t *T) call(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var module, cargs string
	var vars *starlark.Dict
	var dtmf starlark.Iterable
	var hangupAfter starlark.Value = starlark.None
	timeout := 10000
	wait, expectError := true, false
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "module", &module, "vars?", &vars, "args?", &cargs,
		"dtmf?", &dtmf, "hangup_after?", &hangupAfter, "timeout?", &timeout, "wait?", &wait, "expect_error?", &expectError); err != nil {
		return nil, err
	}
	app := module
	if cargs != "" {
		app += " " + cargs
	}
	chVars := map[string]string{t.env.Server.Config().AppVariable: app}
	var opts []esltest.CallOption
	cidName, cidNum := "", "1000"
	if vars != nil {
		for _, kv := range vars.Items() {
			k, ok := starlark.AsString(kv[0])
			if !ok {
				return nil, fmt.Errorf("%s: vars: key %s is not a string", fn.Name(), kv[0])
			}
			v, ok := starlark.AsString(kv[1])
			if !ok {
				v = kv[1].String()
			}
			if profileVars[k] {
				// FreeSWITCH answers these from the caller profile; the
				// simulated switch reads them as channel variables.
				chVars[k] = v
			}
			switch k {
			case "caller_id_number":
				cidNum = v
			case "caller_id_name":
				cidName = v
			case "destination_number":
				opts = append(opts, esltest.Destination(v))
			default:
				chVars[k] = v
			}
		}
	}
	opts = append(opts, esltest.CallerID(cidName, cidNum))
	if _, ok := chVars["caller_id_number"]; !ok {
		chVars["caller_id_number"] = cidNum
	}
	type press struct {
		at     time.Duration
		digits string
	}
	var presses []press
	if dtmf != nil {
		it := dtmf.Iterate()
		defer it.Done()
		var x starlark.Value
		for it.Next(&x) {
			var ms int
			var digits string
			tup, ok := x.(starlark.Tuple)
			if s, isStr := x.(starlark.String); isStr {
				digits = string(s)
			} else if !ok || len(tup) != 2 {
				return nil, fmt.Errorf("%s: dtmf: want (ms, digits) pairs, got %s", fn.Name(), x)
			} else if err := starlark.UnpackPositionalArgs("dtmf", tup, nil, 2, &ms, &digits); err != nil {
				return nil, fmt.Errorf("%s: %w", fn.Name(), err)
			}
			presses = append(presses, press{time.Duration(ms) * time.Millisecond, digits})
		}
	}
	var hangupAt time.Duration = -1
	if hangupAfter != starlark.None {
		ms, err := starlark.AsInt32(hangupAfter)
		if err != nil {
			return nil, fmt.Errorf("%s: hangup_after: %w", fn.Name(), err)
		}
		hangupAt = time.Duration(ms) * time.Millisecond
	}

	ctx := contextOf(thread)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	ch, err := t.env.Switch.PlaceCall(pctx, t.env.Server.Addr(), chVars, opts...)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	// Presses and the hangup are timed on the channel's app clock (simulated
	// time while it runs apps), not from when the call was placed: the
	// script's own round trips, hundreds of simulated milliseconds at a
	// fast time scale, would otherwise decide whether a digit reaches a
	// prompt or the silence before it.
	for _, p := range presses {
		ch.AtAppTime(p.at, func() { ch.SendDTMF(p.digits) })
	}
	if hangupAt >= 0 {
		ch.AtAppTime(hangupAt, func() { ch.Hangup("NORMAL_CLEARING") })
	}
	c := &callValue{t: t, ch: ch, module: module, where: t.where(thread), expectError: expectError, timeout: time.Duration(timeout) * time.Millisecond, placed: true}
	t.mu.Lock()
	t.calls = append(t.calls, c)
	t.mu.Unlock()
	if wait {
		if err := c.wait(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", fn.Name(), err)
		}
	}
	return c, nil
}

// callValue is what t.call returns: one call of the simulated switch, read
// after it ended (or live with wait=False).
type callValue struct {
	t           *T
	ch          *esltest.Channel
	module      string
	where       string
	expectError bool
	timeout     time.Duration
	checked     bool
	// placed is true for calls t.call placed into the server (the server
	// reports when it is done with them).
	placed bool
}

var _ starlark.HasAttrs = (*callValue)(nil)

func (c *callValue) String() string        { return fmt.Sprintf("<call %s %s>", c.module, c.ch.UUID()) }
func (c *callValue) Type() string          { return "call" }
func (c *callValue) Freeze()               {}
func (c *callValue) Truth() starlark.Bool  { return true }
func (c *callValue) Hash() (uint32, error) { return 0, errors.New("unhashable type: call") }

var callAttrs = []string{"answered", "app_names", "apps", "errors", "hangup", "hangup_cause", "logs",
	"responses", "send_dtmf", "uuid", "var", "wait"}

func (c *callValue) AttrNames() []string { return callAttrs }

func (c *callValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "uuid":
		return starlark.String(c.ch.UUID()), nil
	case "answered":
		return starlark.Bool(c.ch.Answered()), nil
	case "hangup_cause":
		if hc := c.ch.HangupCause(); hc != "" {
			return starlark.String(hc), nil
		}
		return starlark.None, nil
	case "apps", "app_names", "responses":
		var out []starlark.Value
		for _, a := range c.ch.Apps() {
			switch name {
			case "apps":
				out = append(out, starlark.Tuple{starlark.String(a.Name), starlark.String(a.Arg)})
			case "app_names":
				out = append(out, starlark.String(a.Name))
			default:
				out = append(out, starlark.Tuple{starlark.String(a.Name), starlark.String(a.Response)})
			}
		}
		return starlark.NewList(out), nil
	case "logs":
		return logList(c.t.env.Logs(c.ch.UUID())), nil
	case "errors":
		var out []starlark.Value
		for _, l := range c.t.env.Logs(c.ch.UUID()) {
			if l.IsScriptError() {
				out = append(out, starlark.String(l.Text()))
			}
		}
		return starlark.NewList(out), nil
	case "var":
		return starlark.NewBuiltin("call.var", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var n string
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &n); err != nil {
				return nil, err
			}
			if v := c.ch.Var(n); v != "" {
				return starlark.String(v), nil
			}
			return starlark.None, nil
		}), nil
	case "hangup":
		return starlark.NewBuiltin("call.hangup", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			cause := "NORMAL_CLEARING"
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "cause?", &cause); err != nil {
				return nil, err
			}
			c.ch.Hangup(cause)
			return starlark.None, nil
		}), nil
	case "send_dtmf":
		return starlark.NewBuiltin("call.send_dtmf", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var digits string
			after := 0
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "digits", &digits, "after?", &after); err != nil {
				return nil, err
			}
			c.ch.AtAppTime(c.ch.AppTime()+time.Duration(after)*time.Millisecond, func() { c.ch.SendDTMF(digits) })
			return starlark.None, nil
		}), nil
	case "wait":
		return starlark.NewBuiltin("call.wait", func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
				return nil, err
			}
			if err := c.wait(contextOf(thread)); err != nil {
				return nil, fmt.Errorf("%s: %w", fn.Name(), err)
			}
			return c, nil
		}), nil
	}
	return nil, nil
}

// wait waits for the call to end (hanging it up after the timeout) and for
// the server to be done with it, then reports script errors as failures
// unless they were expected.
func (c *callValue) wait(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if _, err := c.ch.WaitHangup(wctx); err != nil {
		c.ch.Hangup("RECOVERY_ON_TIMER_EXPIRE")
		if ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("call to %s did not end within %s (simulated apps so far: %s)", c.module, c.timeout, c.appSummary())
	}
	if c.placed {
		c.settle(ctx)
	}
	if !c.checked {
		c.checked = true
		for _, l := range c.t.env.Logs(c.ch.UUID()) {
			if l.IsScriptError() && !c.expectError {
				c.t.failf(c.where, "%s: %s", c.module, l.Text())
			}
		}
	}
	return nil
}

// settle waits until the server is done with the call, its hangup hook
// included.
func (c *callValue) settle(ctx context.Context) {
	deadline := time.Now().Add(5 * time.Second)
	for !c.t.env.logs.closed(c.ch.UUID()) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
}

func (c *callValue) appSummary() string {
	var names []string
	for _, a := range c.ch.Apps() {
		names = append(names, strings.TrimSpace(a.Name+" "+a.Arg))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// xml_fetch(module=<xml-handler-script>, section="", params={}): the
// document xml_fetch(params) returned, or None.
func (t *T) xmlFetch(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	module := t.env.Server.Config().XMLHandlerScript
	var section string
	var params *starlark.Dict
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "module?", &module, "section?", &section, "params?", &params); err != nil {
		return nil, err
	}
	if module == "" {
		return nil, fmt.Errorf("%s: no module (give module=, or set xml-handler-script)", fn.Name())
	}
	// The same params as fsstar serve gives (builtins.Params).
	ev := &esl.Event{}
	if section != "" {
		ev.Headers.Add("section", section)
	}
	if params != nil {
		for _, kv := range params.Items() {
			k, _ := starlark.AsString(kv[0])
			v, ok := starlark.AsString(kv[1])
			if !ok {
				v = kv[1].String()
			}
			ev.Headers.Add(k, v)
		}
	}
	d := builtins.NewParams(ev)
	ctx, cancel := context.WithTimeout(contextOf(thread), 10*time.Second)
	defer cancel()
	v, err := t.env.Server.Engine().XMLFetch(ctx, engine.CallInfo{UUID: "xml-" + t.name, Module: module}, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	switch v.(type) {
	case starlark.String, starlark.NoneType:
		return v, nil
	}
	return nil, fmt.Errorf("%s: %s::xml_fetch returned %s, want a string or None", fn.Name(), module, v.Type())
}

// fsapi(module, args="", env={}): what fsapi(None, stream, env, args) wrote.
func (t *T) fsapi(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var module, a string
	var env *starlark.Dict
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "module", &module, "args?", &a, "env?", &env); err != nil {
		return nil, err
	}
	ev := esl.NewEvent("API", "")
	if env != nil {
		keys := make([]string, 0, env.Len())
		vals := map[string]string{}
		for _, kv := range env.Items() {
			k, _ := starlark.AsString(kv[0])
			v, ok := starlark.AsString(kv[1])
			if !ok {
				v = kv[1].String()
			}
			keys = append(keys, k)
			vals[k] = v
		}
		sort.Strings(keys)
		for _, k := range keys {
			ev.Headers.Add(k, vals[k])
		}
	}
	ctx, cancel := context.WithTimeout(contextOf(thread), 10*time.Second)
	defer cancel()
	out, err := t.env.Server.FSAPI(ctx, module, a, ev)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	return starlark.String(out), nil
}

// run(module, args="", timeout=10000): runs runtime(args) and returns what
// it returned.
func (t *T) run(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var module, a string
	timeout := 10000
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "module", &module, "args?", &a, "timeout?", &timeout); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(contextOf(thread), time.Duration(timeout)*time.Millisecond)
	defer cancel()
	v, err := t.env.Server.RunJob(ctx, "", module, a)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	return v, nil
}
