package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/internal/testutil"
	"github.com/fsstar/fsstar/loader"
	"go.starlark.net/starlark"
)

var bg = context.Background()

const entries = `
def handler(session, args):
    return "handler %s %s" % (session, args)

def night(session, args):
    return "night " + args

def fsapi(session, stream, env, args):
    stream.append("body " + args)
    return env["k"]

def runtime(args):
    return "runtime " + args

def xml_fetch(params):
    return "<doc>%s</doc>" % params["section"]

def one(session):
    pass

def opt(session, args, extra = 1):
    return extra

def var(*args):
    return len(args)

NOT_A_FUNCTION = 1
`

func TestEntryPoints(t *testing.T) {
	f := newFixture(t, map[string]string{"ivr/main.star": entries}, nil)
	info := engine.CallInfo{UUID: "u1", Module: "ivr.main"}
	check := func(what string, v starlark.Value, err error, want string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := v.String(); got != want {
			t.Errorf("%s = %s, want %s", what, got, want)
		}
	}
	v, err := f.e.Handler(bg, info, starlark.String("S"), starlark.String("a b"))
	check("handler", v, err, `"handler S a b"`)
	v, err = f.e.Handler(bg, engine.CallInfo{UUID: "u2", Module: "ivr.main::night"}, starlark.None, starlark.String("x"))
	check("::night", v, err, `"night x"`)
	v, err = f.e.Handler(bg, engine.CallInfo{UUID: "u2", Module: "ivr.main::opt"}, starlark.None, starlark.String("x"))
	check("::opt", v, err, `1`)
	v, err = f.e.Handler(bg, engine.CallInfo{UUID: "u2", Module: "ivr.main::var"}, starlark.None, starlark.String("x"))
	check("::var", v, err, `2`)

	stream := starlark.NewList(nil)
	env := starlark.NewDict(1)
	env.SetKey(starlark.String("k"), starlark.String("v"))
	v, err = f.e.FSAPI(bg, info, starlark.None, stream, env, starlark.String("q"))
	check("fsapi", v, err, `"v"`)
	if stream.String() != `["body q"]` {
		t.Errorf("stream = %s", stream)
	}
	v, err = f.e.Runtime(bg, info, starlark.String("job"))
	check("runtime", v, err, `"runtime job"`)
	params := starlark.NewDict(1)
	params.SetKey(starlark.String("section"), starlark.String("dialplan"))
	v, err = f.e.XMLFetch(bg, info, params)
	check("xml_fetch", v, err, `"<doc>dialplan</doc>"`)

	if st := f.e.Stats(); st.Total().Calls != 7 || st.Total().Errors != 0 || st.DurationCount != 7 || st.DurationBuckets[len(st.DurationBuckets)-1] != 7 {
		t.Errorf("stats = %+v", st)
	}
}

func TestEntryErrors(t *testing.T) {
	f := newFixture(t, map[string]string{"ivr/main.star": entries}, nil)
	for spec, want := range map[string]string{
		"ivr.main::nope":           "ivr.main::nope: no function nope (the handler entry point is handler(session, args))",
		"ivr.main::one":            "ivr.main::one: one takes 1 parameter, handler(session, args) needs 2",
		"ivr.main::runtime":        "ivr.main::runtime: runtime takes 1 parameter, handler(session, args) needs 2",
		"ivr.main::fsapi":          "ivr.main::fsapi: fsapi takes 4 parameters, handler(session, args) needs 2",
		"ivr.main::NOT_A_FUNCTION": "NOT_A_FUNCTION is a int, not a function",
		"ivr.missing":              "not found",
		"ivr/../etc":               `"ivr/../etc"`,
	} {
		_, err := f.e.Handler(bg, engine.CallInfo{UUID: "u", Module: spec}, starlark.None, starlark.None)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Handler(%s) = %v, want %q", spec, err, want)
		}
		var ce *engine.CallError
		if !errors.As(err, &ce) {
			t.Errorf("Handler(%s) error is %T, want *CallError", spec, err)
		}
	}
	_, err := f.e.XMLFetch(bg, engine.CallInfo{Module: "ivr.main::opt"}, starlark.None)
	if err == nil || !strings.Contains(err.Error(), "opt takes 2 to 3 parameters, xml_fetch(params) needs 1") {
		t.Errorf("xml_fetch arity: %v", err)
	}
	if st := f.e.Stats(); st.Entries[engine.EntryHandler].Errors != 7 {
		t.Errorf("handler errors = %d, want 7", st.Entries[engine.EntryHandler].Errors)
	}
}

func TestFrozenGlobalsAtCallTime(t *testing.T) {
	f := newFixture(t, map[string]string{"m.star": `
seen = []
def handler(session, args):
    seen.append(args)
`}, nil)
	_, err := f.e.Handler(bg, engine.CallInfo{UUID: "u-frozen", Module: "m"}, starlark.None, starlark.String("x"))
	var ce *engine.CallError
	if !errors.As(err, &ce) || ce.Module != "m" || ce.Function != "handler" || ce.UUID != "u-frozen" {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "cannot append to frozen list") {
		t.Errorf("err = %v, want the frozen error", err)
	}
	if bt := engine.Backtrace(err); !strings.Contains(bt, "m.star:4:") {
		t.Errorf("backtrace %q lacks the position", bt)
	}
	logs := f.log.String()
	for _, want := range []string{"call failed", "uuid=u-frozen", "module=m", "backtrace=", "m.star:4:"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// TestStepLimit: a runaway loop is stopped by the step limit, told apart
// by ErrStepLimit and counted. The call runs under the test's own deadline,
// so without the step limit it fails with that deadline instead of hanging.
func TestStepLimit(t *testing.T) {
	f := newFixture(t, map[string]string{"spin.star": `
def handler(session, args):
    while True:
        pass
`}, nil, engine.WithMaxSteps(100_000))
	deadline := errors.New("the test's deadline (10s) passed: the step limit did not stop the loop")
	ctx, cancel := context.WithTimeoutCause(bg, 10*time.Second, deadline)
	defer cancel()
	_, err := f.e.Handler(ctx, engine.CallInfo{UUID: "u", Module: "spin"}, starlark.None, starlark.None)
	if !errors.Is(err, engine.ErrStepLimit) || errors.Is(err, deadline) {
		t.Fatalf("err = %v, want the step limit", err)
	}
	if !strings.Contains(err.Error(), "too many steps") {
		t.Errorf("err = %v, want it to say too many steps", err)
	}
	if st := f.e.Stats().Entries[engine.EntryHandler]; st.StepLimited != 1 || st.Errors != 1 || st.Cancelled != 0 {
		t.Errorf("stats = %+v", st)
	}
	if logs := f.log.String(); !strings.Contains(logs, "call stopped by the step limit") || !strings.Contains(logs, "max_steps=100000") {
		t.Errorf("log lacks the step-limit line:\n%s", logs)
	}
	// A script that fails with the same words is no step-limit stop.
	f2 := newFixture(t, map[string]string{"liar.star": `
def handler(session, args):
    fail("Starlark computation cancelled: too many steps")
`}, nil, engine.WithMaxSteps(100_000))
	_, err = f2.e.Handler(bg, engine.CallInfo{UUID: "u2", Module: "liar"}, starlark.None, starlark.None)
	if err == nil || errors.Is(err, engine.ErrStepLimit) {
		t.Errorf("fail() with the step limit's words: err = %v, want a plain failure", err)
	}
	if st := f2.e.Stats().Entries[engine.EntryHandler]; st.StepLimited != 0 || st.Errors != 1 {
		t.Errorf("fail() with the step limit's words: stats = %+v", st)
	}
}

// TestDefaultStepLimit: without WithMaxSteps a call has fsstar's one
// default, loader.DefaultMaxSteps (the server's max-steps default too).
func TestDefaultStepLimit(t *testing.T) {
	f := newFixture(t, map[string]string{"spin.star": `
def handler(session, args):
    while True:
        pass
`}, nil)
	deadline := errors.New("the test's deadline (60s) passed: no default step limit stopped the loop")
	ctx, cancel := context.WithTimeoutCause(bg, 60*time.Second, deadline)
	defer cancel()
	_, err := f.e.Handler(ctx, engine.CallInfo{UUID: "u", Module: "spin"}, starlark.None, starlark.None)
	if !errors.Is(err, engine.ErrStepLimit) {
		t.Fatalf("err = %v, want the step limit", err)
	}
	if want := fmt.Sprintf("max_steps=%d", loader.DefaultMaxSteps); !strings.Contains(f.log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, f.log)
	}
}

func TestCancellation(t *testing.T) {
	f := newFixture(t, map[string]string{"spin.star": `
def handler(session, args):
    n = 0
    while True:
        n += 1
`}, nil, engine.WithMaxSteps(0))
	hangup := errors.New("the call hung up")
	ctx, cancel := context.WithCancelCause(bg)
	time.AfterFunc(50*time.Millisecond, func() { cancel(hangup) })
	done := make(chan error, 1)
	go func() {
		_, err := f.e.Handler(ctx, engine.CallInfo{UUID: "u-cancel", Module: "spin"}, starlark.None, starlark.None)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, hangup) || !strings.Contains(err.Error(), "cancelled") {
			t.Errorf("err = %v, want a cancellation wrapping the cause", err)
		}
		if bt := engine.Backtrace(err); !strings.Contains(bt, "spin.star:") {
			t.Errorf("backtrace = %q", bt)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancellation did not stop the loop within 5s")
	}
	if st := f.e.Stats().Entries[engine.EntryHandler]; st.Cancelled != 1 {
		t.Errorf("stats = %+v", st)
	}
	// An already-cancelled context never starts the call.
	if _, err := f.e.Handler(ctx, engine.CallInfo{Module: "spin"}, starlark.None, starlark.None); !errors.Is(err, hangup) {
		t.Errorf("call on a done context: %v", err)
	}
}

func TestInFlightKeepsOldVersion(t *testing.T) {
	f := newFixture(t, map[string]string{"m.star": `
VERSION = "v1"
def handler(session, args):
    gate()
    return VERSION
`}, nil)
	evs := make(chan loader.Event, 10)
	defer f.ld.Subscribe(func(ev loader.Event) { evs <- ev })()
	release, started := make(chan struct{}), make(chan struct{})
	done := make(chan starlark.Value, 1)
	go func() {
		v, err := f.e.Handler(bg, engine.CallInfo{UUID: "old", Module: "m", Locals: map[string]any{"gate": release, "started": started}}, starlark.None, starlark.None)
		if err != nil {
			t.Error(err)
		}
		done <- v
	}()
	<-started
	testutil.WriteFiles(t, f.dir, map[string]string{"m.star": `
VERSION = "v2"
def handler(session, args):
    gate()
    return VERSION
`})
	select {
	case ev := <-evs:
		if ev.Kind != loader.Reloaded {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reload within 5s")
	}
	v, err := f.e.Handler(bg, engine.CallInfo{UUID: "new", Module: "m"}, starlark.None, starlark.None)
	if err != nil || v.String() != `"v2"` {
		t.Errorf("new call = %v, %v; want v2", v, err)
	}
	close(release)
	if v := <-done; v.String() != `"v1"` {
		t.Errorf("in-flight call finished with %v, want v1", v)
	}
}

func TestPrintAndLocals(t *testing.T) {
	var setupSaw string
	f := newFixture(t, map[string]string{"m.star": `
def handler(session, args):
    print("hello from", whoami())
`}, []loader.Option{loader.WithPredeclared(starlark.StringDict{
		"whoami": starlark.NewBuiltin("whoami", func(th *starlark.Thread, _ *starlark.Builtin, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			info, _ := engine.Info(th)
			engine.Logger(th).Debug("builtin log line")
			if engine.Context(th).Value(ctxKey{}) != "ctx-value" {
				return nil, errors.New("the call's context is not on the thread")
			}
			return starlark.String(info.UUID + "/" + th.Local("session").(string) + "/" + th.Name), nil
		}),
	})}, engine.WithThreadSetup(func(th *starlark.Thread, info engine.CallInfo) { setupSaw = info.UUID }))
	ctx := context.WithValue(bg, ctxKey{}, "ctx-value")
	_, err := f.e.Handler(ctx, engine.CallInfo{UUID: "u-print", Module: "m", Fields: []any{"caller", "1000"}, Locals: map[string]any{"session": "S"}}, starlark.None, starlark.None)
	if err != nil {
		t.Fatal(err)
	}
	logs := f.log.String()
	for _, want := range []string{"hello from u-print/S/u-print m", "builtin log line", "uuid=u-print", "module=m", "caller=1000"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if setupSaw != "u-print" {
		t.Errorf("setup hook saw %q", setupSaw)
	}
}

type ctxKey struct{}

func TestHooks(t *testing.T) {
	f := newFixture(t, map[string]string{"m.star": `
def on_hangup(session, what, args):
    return "%s %s %s" % (session, what, args)

def on_hangup2(session, what):
    return what

def on_input(session, what, obj):
    return "stop"
`}, nil)
	m, err := f.ld.Get("m")
	if err != nil {
		t.Fatal(err)
	}
	info := engine.CallInfo{UUID: "u", Module: "m"}
	fn := func(n string) starlark.Callable { return m.Globals[n].(starlark.Callable) }
	v, err := f.e.HangupHook(bg, info, fn("on_hangup"), starlark.String("S"), starlark.String("hangup"), starlark.String("A"))
	if err != nil || v.String() != `"S hangup A"` {
		t.Errorf("hangup hook = %v, %v", v, err)
	}
	v, err = f.e.HangupHook(bg, info, fn("on_hangup2"), starlark.String("S"), starlark.String("transfer"), nil)
	if err != nil || v.String() != `"transfer"` {
		t.Errorf("hangup hook without args = %v, %v", v, err)
	}
	_, err = f.e.HangupHook(bg, info, fn("on_hangup2"), starlark.String("S"), starlark.String("hangup"), starlark.String("A"))
	if err == nil || !strings.Contains(err.Error(), "m::on_hangup2: on_hangup2 takes 2 parameters, hangup_hook(session, what, args) needs 3") {
		t.Errorf("hook arity: %v", err)
	}
	v, err = f.e.InputCallback(bg, info, fn("on_input"), starlark.String("S"), starlark.String("dtmf"), starlark.String("1"), nil)
	if err != nil || v.String() != `"stop"` {
		t.Errorf("input callback = %v, %v", v, err)
	}
	v, err = f.e.Call(bg, info, fn("on_hangup2"), starlark.Tuple{starlark.None, starlark.String("x")})
	if err != nil || v.String() != `"x"` {
		t.Errorf("Call = %v, %v", v, err)
	}
	st := f.e.Stats()
	if st.Entries[engine.EntryHangupHook].Calls != 3 || st.Entries[engine.EntryInputCallback].Calls != 1 || st.Entries[engine.EntryCall].Calls != 1 {
		t.Errorf("stats = %+v", st.Entries)
	}
}

func TestPanickingBuiltinIsAnError(t *testing.T) {
	f := newFixture(t, map[string]string{"m.star": `
def handler(session, args):
    boom()
`}, []loader.Option{loader.WithPredeclared(starlark.StringDict{
		"boom": starlark.NewBuiltin("boom", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			panic("kaboom")
		}),
	})})
	_, err := f.e.Handler(bg, engine.CallInfo{UUID: "u", Module: "m"}, starlark.None, starlark.None)
	if err == nil || !strings.Contains(err.Error(), "kaboom") {
		t.Errorf("err = %v", err)
	}
}
