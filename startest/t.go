package startest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// T is the value a test function receives as t: helpers that drive the
// simulated switch and the server, and assertions that record failures with
// the file:line of the assertion.
type T struct {
	env  *Env
	name string

	mu       sync.Mutex
	failures []string
	output   []string
	calls    []*callValue
}

var _ starlark.HasAttrs = (*T)(nil)

func newT(env *Env, name string) *T { return &T{env: env, name: name} }

func (t *T) String() string        { return "<t " + t.name + ">" }
func (t *T) Type() string          { return "t" }
func (t *T) Freeze()               {}
func (t *T) Truth() starlark.Bool  { return true }
func (t *T) Hash() (uint32, error) { return 0, errors.New("unhashable type: t") }

type tMethod func(t *T, thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

var tMethods = map[string]tMethod{
	"call":      (*T).call,
	"xml_fetch": (*T).xmlFetch,
	"fsapi":     (*T).fsapi,
	"run":       (*T).run,
	"start":     (*T).start,
	"channel":   (*T).channel,
	"eq":        (*T).eq,
	"ne":        (*T).ne,
	"true":      (*T).isTrue,
	"false":     (*T).isFalse,
	"contains":  (*T).contains,
	"fail":      (*T).fail,
	"fatal":     (*T).fatal,
	"log":       (*T).log,
	"logs":      (*T).logs,
	"sleep":     (*T).sleep,
	// wait_until: polls a condition, under a real-time deadline.
	"wait_until": (*T).waitUntil,
	"http":       (*T).http,
	// http_requests: what the scripts sent to t.http's server.
	"http_requests": (*T).httpRequests,
}

// AttrNames lists t's attributes.
func (t *T) AttrNames() []string {
	names := []string{"name"}
	for n := range tMethods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Attr returns one of t's attributes.
func (t *T) Attr(name string) (starlark.Value, error) {
	if name == "name" {
		return starlark.String(t.name), nil
	}
	m, ok := tMethods[name]
	if !ok {
		return nil, nil
	}
	return starlark.NewBuiltin("t."+name, func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return m(t, thread, fn, args, kwargs)
	}), nil
}

// errFatal stops a test after t.fatal; the failure is already recorded.
var errFatal = errors.New("test stopped by t.fatal")

// where returns "file:line" of the Starlark code that called the builtin
// running on thread, relative to the script root.
func (t *T) where(thread *starlark.Thread) string {
	if thread.CallStackDepth() < 2 {
		return "?"
	}
	return t.pos(thread.CallFrame(1).Pos)
}

func (t *T) pos(p syntax.Position) string {
	file := p.Filename()
	if rel, err := filepath.Rel(t.env.Root, file); err == nil && !strings.HasPrefix(rel, "..") {
		file = filepath.ToSlash(rel)
	}
	return fmt.Sprintf("%s:%d", file, p.Line)
}

func (t *T) failf(where, format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failures = append(t.failures, where+": "+fmt.Sprintf(format, args...))
}

func (t *T) logf(where, format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.output = append(t.output, where+": "+fmt.Sprintf(format, args...))
}

// Failed reports whether an assertion failed.
func (t *T) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.failures) > 0
}

func prefix(msg string) string {
	if msg == "" {
		return ""
	}
	return msg + ": "
}

// eq(got, want, msg="")
func (t *T) eq(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var got, want starlark.Value
	var msg string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "got", &got, "want", &want, "msg?", &msg); err != nil {
		return nil, err
	}
	ok, err := starlark.Equal(got, want)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	if !ok {
		t.failf(t.where(thread), "%sgot %s, want %s", prefix(msg), got, want)
	}
	return starlark.Bool(ok), nil
}

// ne(got, unwanted, msg="")
func (t *T) ne(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var got, bad starlark.Value
	var msg string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "got", &got, "unwanted", &bad, "msg?", &msg); err != nil {
		return nil, err
	}
	eq, err := starlark.Equal(got, bad)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	if eq {
		t.failf(t.where(thread), "%sgot %s, want anything else", prefix(msg), got)
	}
	return starlark.Bool(!eq), nil
}

// true(x, msg="")
func (t *T) isTrue(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	var msg string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "x", &x, "msg?", &msg); err != nil {
		return nil, err
	}
	if !x.Truth() {
		if msg == "" {
			msg = fmt.Sprintf("%s is not true", x)
		}
		t.failf(t.where(thread), "%s", msg)
	}
	return x.Truth(), nil
}

// false(x, msg="")
func (t *T) isFalse(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	var msg string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "x", &x, "msg?", &msg); err != nil {
		return nil, err
	}
	if x.Truth() {
		if msg == "" {
			msg = fmt.Sprintf("%s is not false", x)
		}
		t.failf(t.where(thread), "%s", msg)
	}
	return !x.Truth(), nil
}

// contains(container, x, msg=""): x in container; a string x also matches
// a substring of a string container or of an element of a list of strings
// (so t.contains(c.logs, "hung up") reads naturally).
func (t *T) contains(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var container, x starlark.Value
	var msg string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "container", &container, "x", &x, "msg?", &msg); err != nil {
		return nil, err
	}
	ok, err := containsValue(container, x)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	if !ok {
		t.failf(t.where(thread), "%s%s does not contain %s", prefix(msg), container, x)
	}
	return starlark.Bool(ok), nil
}

func containsValue(container, x starlark.Value) (bool, error) {
	s, isStr := x.(starlark.String)
	if isStr {
		if c, ok := container.(starlark.String); ok {
			return strings.Contains(string(c), string(s)), nil
		}
		if it, ok := container.(starlark.Indexable); ok {
			for i := 0; i < it.Len(); i++ {
				if e, ok := it.Index(i).(starlark.String); ok && strings.Contains(string(e), string(s)) {
					return true, nil
				}
			}
		}
	}
	v, err := starlark.Binary(syntax.IN, x, container)
	if err != nil {
		return false, err
	}
	return bool(v.Truth()), nil
}

// fail(msg): records a failure and goes on.
func (t *T) fail(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var msg string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "msg?", &msg); err != nil {
		return nil, err
	}
	if msg == "" {
		msg = "failed"
	}
	t.failf(t.where(thread), "%s", msg)
	return starlark.None, nil
}

// fatal(msg): records a failure and stops the test.
func (t *T) fatal(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if _, err := t.fail(thread, fn, args, kwargs); err != nil {
		return nil, err
	}
	return nil, errFatal
}

// log(*args): output shown with -v or when the test fails.
func (t *T) log(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(kwargs) > 0 {
		return nil, fmt.Errorf("%s: unexpected keyword arguments", fn.Name())
	}
	parts := make([]string, len(args))
	for i, a := range args {
		if s, ok := a.(starlark.String); ok {
			parts[i] = string(s)
		} else {
			parts[i] = a.String()
		}
	}
	t.logf(t.where(thread), "%s", strings.Join(parts, " "))
	return starlark.None, nil
}

// logs(): every script log line of the run so far (calls, jobs, fsapi...).
func (t *T) logs(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return logList(t.env.Logs("")), nil
}

// sleep(ms): waits ms of simulated time.
func (t *T) sleep(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ms int
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "ms", &ms); err != nil {
		return nil, err
	}
	ctx := contextOf(thread)
	select {
	case <-time.After(t.env.Real(time.Duration(ms) * time.Millisecond)):
		return starlark.None, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", fn.Name(), context.Cause(ctx))
	}
}

// wait_until(cond, timeout=10000, msg=""): calls cond() every few
// milliseconds until it returns a true value, and stops the test with a
// failure (as t.fatal) when timeout real milliseconds pass first. It is how
// a test waits for what no clock orders — the script's reaction to a key
// (its callback runs in real time, while the media clock of a prompt runs
// 1/scale times faster), a b-leg being bridged after an HTTP lookup —
// instead of betting on a time of the media clock.
func (t *T) waitUntil(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cond starlark.Callable
	timeout := 10000
	var msg string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "cond", &cond, "timeout?", &timeout, "msg?", &msg); err != nil {
		return nil, err
	}
	ctx := contextOf(thread)
	deadline := time.Now().Add(time.Duration(timeout) * time.Millisecond)
	for {
		v, err := starlark.Call(thread, cond, nil, nil)
		if err != nil {
			return nil, err
		}
		if v.Truth() {
			return starlark.None, nil
		}
		if time.Now().After(deadline) {
			if msg == "" {
				msg = fmt.Sprintf("%s did not hold within %d ms", cond.Name(), timeout)
			}
			t.failf(t.where(thread), "%s", msg)
			return nil, errFatal
		}
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: %w", fn.Name(), context.Cause(ctx))
		}
	}
}

func logList(lines []LogLine) *starlark.List {
	out := make([]starlark.Value, len(lines))
	for i, l := range lines {
		out[i] = starlark.String(l.Text())
	}
	return starlark.NewList(out)
}
