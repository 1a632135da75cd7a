package builtins

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// run executes src in a fresh thread with the predeclared names of opts and
// call attached, and returns the value of the global `result` (None if unset).
func run(t *testing.T, opts Options, call *Call, src string) (starlark.Value, error) {
	t.Helper()
	thread := &starlark.Thread{Name: t.Name(), Print: func(_ *starlark.Thread, msg string) { t.Log(msg) }}
	if call != nil {
		SetCall(thread, call)
	}
	globals, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, "test.star", src, Predeclared(opts))
	if err != nil {
		if ee, ok := err.(*starlark.EvalError); ok {
			return nil, &backtraceError{ee}
		}
		return nil, err
	}
	if v, ok := globals["result"]; ok {
		return v, nil
	}
	return starlark.None, nil
}

// backtraceError keeps the message of an EvalError (without its backtrace)
// so that tests compare what a script writer reads first.
type backtraceError struct{ ee *starlark.EvalError }

func (e *backtraceError) Error() string { return e.ee.Msg }
func (e *backtraceError) Unwrap() error { return e.ee.Unwrap() }

// bufLogger returns an hclog logger writing to a buffer, with the call fields.
func bufLogger(buf *bytes.Buffer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Output: buf, Level: hclog.Trace, DisableTime: true}).With("uuid", "u-1", "module", "ivr.main")
}

// newCall returns a Call with a context that ends with the test.
func newCall(t *testing.T) *Call {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Call{Context: ctx, UUID: "u-1"}
	t.Cleanup(func() {
		cancel()
		if err := c.Close(); err != nil {
			t.Errorf("Call.Close: %v", err)
		}
	})
	return c
}

// scriptCase is one table row: a script, the repr of `result`, or a
// substring of the error it must fail with.
type scriptCase struct {
	name    string
	src     string
	want    string // repr of result
	wantErr string // substring of the error
}

func runCases(t *testing.T, opts Options, cases []scriptCase) {
	t.Helper()
	runCasesWith(t, func(*testing.T) Options { return opts }, cases)
}

// runCasesWith is runCases with options made afresh for every case.
func runCasesWith(t *testing.T, opts func(*testing.T) Options, cases []scriptCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := run(t, opts(t), newCall(t), tc.src)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("got result %s, want an error containing %q", v, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %q, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got := v.String(); got != tc.want {
				t.Fatalf("result:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// callValue calls a Starlark callable with string arguments in a fresh thread.
func callValue(fn starlark.Value, args ...string) (starlark.Value, error) {
	tuple := make(starlark.Tuple, len(args))
	for i, a := range args {
		tuple[i] = starlark.String(a)
	}
	return starlark.Call(&starlark.Thread{}, fn, tuple, nil)
}

// runWith runs src with extra predeclared values (Go-made values such as
// a Stream or an Event) next to the usual ones.
func runWith(t *testing.T, extra map[string]any, src string) (starlark.Value, error) {
	t.Helper()
	pre := Predeclared(Options{})
	for k, v := range extra {
		pre[k] = v.(starlark.Value)
	}
	thread := &starlark.Thread{Name: t.Name()}
	globals, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, "test.star", src, pre)
	if err != nil {
		return nil, err
	}
	if v, ok := globals["result"]; ok {
		return v, nil
	}
	return starlark.None, nil
}
