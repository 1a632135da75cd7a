package startest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/loader"
)

// TestSuffix ends the file name of every test module.
const TestSuffix = "_test.star"

// Options configures Run.
type Options struct {
	// Root is the script directory: the server serves it and test modules
	// are found below it.
	Root string
	// Modules are the test modules to run, as dotted names below Root
	// ("ivr.main_test"); a module under test ("ivr.main") means its test
	// module. Empty: every *_test.star below Root.
	Modules []string
	// Run, when set, is a regular expression that selects tests by name.
	Run string
	// Verbose prints every test as it runs and passes, and t.log output.
	Verbose bool
	// Scale is the simulated switch's time scale (DefaultTimeScale when 0).
	Scale float64
	// TestTimeout bounds one test function (default one minute).
	TestTimeout time.Duration
	// Out receives the report (os.Stdout when nil).
	Out io.Writer
	// Label names the run in the summary line (default: Root as given).
	Label string
}

// Summary counts the outcome of a run.
type Summary struct {
	Passed, Failed int
	// LoadErrors counts test modules that could not be loaded.
	LoadErrors int
}

// ExitCode is the process exit status for the run: 0 when every test
// passed, 1 when one failed, 2 when a test module could not be loaded.
func (s Summary) ExitCode() int {
	switch {
	case s.LoadErrors > 0:
		return 2
	case s.Failed > 0:
		return 1
	}
	return 0
}

// UsageError is an error in what Run was asked to do (a missing directory,
// a bad pattern), as opposed to a failing test.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Run runs the test functions test_*(t) of the test modules below o.Root
// against one simulated switch and one in-process server, and writes a
// report in the form of go test's:
//
//	=== RUN   test_menu                 (with Verbose)
//	--- FAIL: test_menu (0.03s)
//	    ivr/main_test.star:12: got "1", want "2"
//	FAIL
//	FAIL	scripts	0.42s
//	3 passed, 1 failed
//
// The error is a *UsageError for bad options; load errors of test modules
// are reported and counted in the Summary.
func Run(o Options) (Summary, error) {
	var sum Summary
	out := o.Out
	if out == nil {
		out = os.Stdout
	}
	if o.Label == "" {
		o.Label = o.Root
	}
	if o.TestTimeout <= 0 {
		o.TestTimeout = time.Minute
	}
	var pat *regexp.Regexp
	if o.Run != "" {
		var err error
		if pat, err = regexp.Compile(o.Run); err != nil {
			return sum, &UsageError{fmt.Errorf("-run: %w", err)}
		}
	}
	if st, err := os.Stat(o.Root); err != nil || !st.IsDir() {
		return sum, &UsageError{fmt.Errorf("%s is not a script directory", o.Root)}
	}
	modules, err := testModules(o.Root, o.Modules)
	if err != nil {
		return sum, err
	}
	start := time.Now()
	if len(modules) == 0 {
		fmt.Fprintf(out, "?   \t%s\t[no test files]\n0 passed, 0 failed\n", o.Label)
		return sum, nil
	}
	env, err := NewEnv(o.Root, EnvOptions{Scale: o.Scale})
	if err != nil {
		return sum, err
	}
	defer env.Close()

	for _, name := range modules {
		m, err := env.Server.Engine().Loader().Get(name)
		if err != nil {
			sum.LoadErrors++
			fmt.Fprintf(out, "--- FAIL: %s (load)\n    %s\n", name, indent(relErr(env.Root, err)))
			continue
		}
		for _, tf := range testFuncs(m) {
			if pat != nil && !pat.MatchString(tf.Name()) {
				continue
			}
			if runOne(env, o, out, m, tf) {
				sum.Passed++
			} else {
				sum.Failed++
			}
		}
	}
	elapsed := time.Since(start).Seconds()
	if sum.Failed > 0 || sum.LoadErrors > 0 {
		fmt.Fprintf(out, "FAIL\nFAIL\t%s\t%.2fs\n", o.Label, elapsed)
	} else {
		fmt.Fprintf(out, "ok  \t%s\t%.2fs\n", o.Label, elapsed)
	}
	fmt.Fprintf(out, "%d passed, %d failed\n", sum.Passed, sum.Failed)
	return sum, nil
}

// runOne runs one test function and reports it; it returns true when it passed.
func runOne(env *Env, o Options, out io.Writer, m *loader.Module, fn *starlark.Function) bool {
	name := fn.Name()
	if o.Verbose {
		fmt.Fprintf(out, "=== RUN   %s\n", name)
	}
	t := newT(env, name)
	env.web.reset() // each test declares its own t.http answers
	ctx, cancel := context.WithTimeout(context.Background(), o.TestTimeout)
	defer cancel()
	start := time.Now()
	_, err := env.Server.Engine().Call(ctx, engine.CallInfo{UUID: "test-" + name, Module: m.Name + "::" + name}, fn, starlark.Tuple{t})
	d := time.Since(start).Seconds()
	if err != nil && !errors.Is(err, errFatal) {
		t.failf(errWhere(t, err), "%s", errMsg(err))
	}
	if err := endCalls(env); err != nil {
		t.failf(name, "%v", err)
	}
	t.mu.Lock()
	failures, output := t.failures, t.output
	t.mu.Unlock()
	passed := len(failures) == 0
	switch {
	case passed && o.Verbose:
		fmt.Fprintf(out, "--- PASS: %s (%.2fs)\n", name, d)
	case !passed:
		fmt.Fprintf(out, "--- FAIL: %s (%.2fs)\n", name, d)
	}
	if !passed || o.Verbose {
		for _, l := range output {
			fmt.Fprintf(out, "    %s\n", indent(l))
		}
	}
	for _, l := range failures {
		fmt.Fprintf(out, "    %s\n", indent(l))
	}
	return passed
}

// endCalls hangs up the channels a test left up (a b-leg, a call placed
// with wait=False), waits until the switch has none, then until the
// server's inbound connection has received every event the switch sent so
// far (eventBarrier), all under a deadline of its own: a channel of one
// test still tearing down when the next starts would bring its events (a
// late CHANNEL_HANGUP_COMPLETE) to that test's event consumers.
func endCalls(env *Env) error {
	if err := endChannels(env.Switch); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return eventBarrier(ctx, env.Server.Client())
}

// barrierClass is the subclass of the CUSTOM event eventBarrier fires.
const barrierClass = "startest::barrier"

// eventBarrier fires a CUSTOM event and waits until c receives it: the
// switch sends a connection's events in the order it fired them, and the
// client routes each as it reads it, so every event fired before is then
// routed, and none can reach a subscription made afterwards.
func eventBarrier(ctx context.Context, c *esl.Client) error {
	if err := c.Subscribe(ctx, "CUSTOM", barrierClass); err != nil {
		return fmt.Errorf("event barrier: %w", err)
	}
	sub := c.Listen(esl.Match{Names: []string{barrierClass}, Buffer: 16})
	defer sub.Close()
	ev := &esl.Event{}
	ev.Headers.Add("Event-Name", "CUSTOM")
	ev.Headers.Add("Event-Subclass", barrierClass)
	id, err := c.SendEvent(ctx, ev)
	if err != nil {
		return fmt.Errorf("event barrier: %w", err)
	}
	for {
		got, err := sub.Next(ctx)
		if err != nil {
			return fmt.Errorf("event barrier: the switch's events did not come through: %w", err)
		}
		if got.Get("Event-UUID") == id {
			return nil
		}
	}
}

// endChannels hangs up the switch's channels and waits until it has none.
func endChannels(sw *esltest.Switch) error {
	for _, ch := range sw.Channels() {
		ch.Hangup("NORMAL_CLEARING")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := sw.Channels()
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			names := make([]string, len(left))
			for i, ch := range left {
				names[i] = ch.UUID()
			}
			return fmt.Errorf("channels still up 10 s after the test ended: %s", strings.Join(names, " "))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n        ") }

// errWhere is the file:line of the innermost Starlark frame of a test's error.
func errWhere(t *T, err error) string {
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		for i := len(ee.CallStack) - 1; i >= 0; i-- {
			if p := ee.CallStack[i].Pos; p.IsValid() && p.Filename() != "<builtin>" {
				return t.pos(p)
			}
		}
	}
	return t.name
}

func errMsg(err error) string {
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		return ee.Msg
	}
	return err.Error()
}

// relErr shortens the absolute paths in a load error to paths below root.
func relErr(root string, err error) string {
	return strings.ReplaceAll(err.Error(), root+string(filepath.Separator), "")
}

// testFuncs returns the test_* functions defined in m itself, in source order.
func testFuncs(m *loader.Module) []*starlark.Function {
	var fns []*starlark.Function
	for name, v := range m.Globals {
		fn, ok := v.(*starlark.Function)
		if !ok || !strings.HasPrefix(name, "test_") || fn.Position().Filename() != m.Path {
			continue
		}
		fns = append(fns, fn)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].Position().Line < fns[j].Position().Line })
	return fns
}

// testModules resolves the modules to run: the given ones (a module under
// test stands for its _test module), or every *_test.star below root.
func testModules(root string, given []string) ([]string, error) {
	if len(given) > 0 {
		var out []string
		for _, g := range given {
			g = strings.TrimSuffix(g, ".star")
			if !strings.HasSuffix(g, "_test") {
				g += "_test"
			}
			if err := loader.ValidateName(g); err != nil {
				return nil, &UsageError{err}
			}
			p := filepath.Join(root, filepath.FromSlash(strings.ReplaceAll(g, ".", "/"))+".star")
			if _, err := os.Stat(p); err != nil {
				return nil, &UsageError{fmt.Errorf("no test module %s (%s)", g, p)}
			}
			out = append(out, g)
		}
		return out, nil
	}
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), TestSuffix) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, strings.ReplaceAll(filepath.ToSlash(strings.TrimSuffix(rel, ".star")), "/", "."))
		return nil
	})
	if err != nil {
		return nil, &UsageError{err}
	}
	sort.Strings(out)
	return out, nil
}
