package builtins

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

func TestPredeclared(t *testing.T) {
	pre := Predeclared(Options{})
	var names []string
	for name, v := range pre {
		names = append(names, name)
		if !isFrozen(v) {
			t.Errorf("%s is not frozen", name)
		}
	}
	slices.Sort(names)
	if want := []string{"calendar", "crypto", "encoding", "files", "freeswitch", "http", "json", "math", "metrics", "re", "state", "time"}; !slices.Equal(names, want) {
		t.Fatalf("Predeclared names = %v, want %v", names, want)
	}
	fs := pre["freeswitch"].(*starlarkstruct.Module)
	if got, want := fs.AttrNames(), []string{"API", "DTMF", "Dbh", "Event", "EventConsumer", "IVRMenu", "JSON", "Session", "Stream", "apiArgs", "appArgs", "bridge", "consoleCleanLog", "consoleLog", "consoleLog2", "console_clean_log", "console_log", "console_log2", "dialVar", "dialVars", "email", "escapeVars", "getGlobalVariable", "msleep", "quoteArg", "running", "setGlobalVariable"}; !slices.Equal(got, want) {
		t.Fatalf("freeswitch members = %v, want %v", got, want)
	}
	runCases(t, Options{}, []scriptCase{
		{name: "json", src: `result = json.decode(json.encode({"a": [1, 2]}))`, want: `{"a": [1, 2]}`},
		{name: "time", src: `result = time.parse_duration("1500ms") == 1500 * time.millisecond`, want: `True`},
		{name: "math", src: `result = math.floor(2.5)`, want: `2`},
		{name: "module str", src: `result = str(freeswitch)`, want: `"<module \"freeswitch\">"`},
		{name: "module frozen", src: `freeswitch.msleep = None`, wantErr: `can't assign to .msleep field of module`},
		{name: "unknown name", src: `freeswitch.insertFile()`, wantErr: `module has no .insertFile field or method`},
	})
}

// isFrozen reports whether v refuses an assignment (modules are the only
// predeclared values with settable fields).
func isFrozen(v starlark.Value) bool {
	m, ok := v.(*starlarkstruct.Module)
	if !ok {
		return true
	}
	_, err := starlark.ExecFile(&starlark.Thread{}, "f.star", "m.x = 1", starlark.StringDict{"m": m})
	return err != nil && strings.Contains(err.Error(), "can't assign")
}

func TestBuiltinPanicBecomesError(t *testing.T) {
	boom := newBuiltin("freeswitch.boom", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		var m map[string]int
		m["x"] = 1 // a nil map: panics
		return starlark.None, nil
	})
	thread := &starlark.Thread{}
	_, err := starlark.ExecFile(thread, "p.star", "def f():\n    boom()\nf()", starlark.StringDict{"boom": boom})
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a PanicError", err)
	}
	if pe.Builtin != "freeswitch.boom" || !strings.Contains(pe.Error(), "freeswitch.boom: internal error: panic: assignment to entry in nil map") {
		t.Fatalf("PanicError = %q", pe.Error())
	}
	if !strings.Contains(string(pe.Stack), "module_test.go") {
		t.Fatalf("the stack does not show where it panicked:\n%s", pe.Stack)
	}
	var ee *starlark.EvalError
	if !errors.As(err, &ee) || !strings.Contains(ee.Backtrace(), "p.star:2:9: in f") {
		t.Fatalf("no Starlark backtrace: %v", err)
	}
	// The same thread goes on working.
	if _, err := starlark.ExecFile(thread, "q.star", "x = 1", nil); err != nil {
		t.Fatalf("thread unusable after a recovered panic: %v", err)
	}

	// Methods are wrapped too.
	m := newMethod(starlark.None, "Thing.m", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		panic("bad")
	})
	if _, err := starlark.Call(thread, m, nil, nil); err == nil || err.Error() != "Thing.m: internal error: panic: bad" {
		t.Fatalf("method panic: %v", err)
	}
}

func TestCallOf(t *testing.T) {
	thread := &starlark.Thread{}
	if CallOf(thread) != nil {
		t.Fatal("CallOf on a bare thread is not nil")
	}
	c := &Call{UUID: "abc"}
	SetCall(thread, c)
	if CallOf(thread) != c {
		t.Fatal("CallOf does not return the Call set")
	}
	var order []int
	c.OnClose(func() error { order = append(order, 1); return nil })
	c.OnClose(func() error { order = append(order, 2); return errors.New("two failed") })
	if err := c.Close(); err == nil || err.Error() != "two failed" {
		t.Fatalf("Close: %v", err)
	}
	if !slices.Equal(order, []int{2, 1}) {
		t.Fatalf("closers ran in order %v, want reverse order of registration", order)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c.OnClose(func() error { return nil }) {
		t.Fatal("OnClose after Close accepted a closer")
	}
	var nilCall *Call
	if nilCall.Close() != nil || nilCall.OnClose(nil) {
		t.Fatal("a nil Call is not inert")
	}
}

func TestAttachCancelsThread(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	call := &Call{Context: ctx}
	thread := &starlark.Thread{}
	stop := Attach(thread, call)
	defer stop()
	if CallOf(thread) != call {
		t.Fatal("Attach did not set the Call")
	}
	time.AfterFunc(20*time.Millisecond, func() { cancel(errors.New("the call hung up")) })
	_, err := starlark.ExecFile(thread, "loop.star", "def spin():\n    for i in range(1 << 40):\n        pass\nspin()", nil)
	if err == nil || !strings.Contains(err.Error(), "Starlark computation cancelled: the call hung up") {
		t.Fatalf("spin after cancel: %v", err)
	}

	// Untied: cancelling no longer touches the thread.
	ctx2, cancel2 := context.WithCancel(context.Background())
	thread2 := &starlark.Thread{}
	if !Attach(thread2, &Call{Context: ctx2})() {
		t.Fatal("stop reported the tie already gone")
	}
	cancel2()
	if _, err := starlark.ExecFile(thread2, "x.star", "x = 1", nil); err != nil {
		t.Fatalf("thread cancelled after stop: %v", err)
	}
	if Attach(&starlark.Thread{}, &Call{})() {
		t.Fatal("stop of a Call without Context reported a tie")
	}
}
