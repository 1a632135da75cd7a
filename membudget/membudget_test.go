package membudget

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// compile parses, rewrites and compiles src as the loader does.
func compile(t testing.TB, src string, rewrite bool, predeclared starlark.StringDict) *starlark.Program {
	t.Helper()
	opts := syntax.FileOptions{While: true, TopLevelControl: true, Set: true, GlobalReassign: true}
	f, err := opts.Parse("test.star", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rewrite {
		Rewrite(f)
	}
	guards := Predeclared()
	prog, err := starlark.FileProgram(f, func(n string) bool { return guards.Has(n) || predeclared.Has(n) })
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// run executes src's top level on a thread metered by pool.
func run(t testing.TB, pool *Pool, src string, predeclared starlark.StringDict) (starlark.StringDict, *Meter, error) {
	t.Helper()
	prog := compile(t, src, true, predeclared)
	thread := &starlark.Thread{Name: t.Name()}
	m := pool.Attach(thread, 0, nil)
	defer m.Release()
	all := Predeclared()
	for k, v := range predeclared {
		all[k] = v
	}
	g, err := prog.Init(thread, all)
	return g, m, err
}

func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// TestBudgetStopsScripts proves the per-call budget for the four shapes of
// runaway memory: one large string, a growing list, a growing dict and
// deep nesting. Each is stopped with a *BudgetError, and the process
// allocated no more than a small multiple of the budget while it ran.
func TestBudgetStopsScripts(t *testing.T) {
	const budget = 8 << 20
	cases := []struct {
		name, src string
		refused   bool // refused before building (Need > 0), not measured
	}{
		{"large string", `s = "x" * 1000000000`, true},
		{"large string from a variable", "n = 1000000000\nb = \"ab\"\ns = b * n", true},
		{"doubling string", "s = \"x\" * 1024\nwhile True:\n    s = s + s", true},
		{"doubling list", "l = [1] * 1024\nwhile True:\n    l += l", true},
		{"list of a range", "l = list(range(1000000000))", true},
		{"enumerate of a range", "l = enumerate(range(100000000))", true},
		{"comprehension", "l = ['row %d' % i for i in range(100000000)]", false},
		{"dict comprehension in a function", "def f():\n    return {str(i): [i] for i in range(100000000)}\nf()", false},
		{"growing list", "l = []\nfor i in range(100000000):\n    l.append(i)", false},
		{"growing dict", "d = {}\nfor i in range(100000000):\n    d[i] = i", false},
		{"deep nesting", "x = []\nfor i in range(100000000):\n    x = [x]", false},
		{"growing list in a function", "def f():\n    l = []\n    for i in range(100000000):\n        l.append(str(i))\n    return l\nf()", false},
		{"closure", "def f():\n    acc = []\n    def add(v):\n        acc.append(v)\n    for i in range(100000000):\n        add({'i': i})\nf()", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pool := NewPool(budget, 0)
			before := totalAlloc()
			_, m, err := run(t, pool, c.src, nil)
			allocated := totalAlloc() - before
			var be *BudgetError
			if !errors.As(err, &be) && m.Err() == nil {
				t.Fatalf("want a memory budget error, got %v", err)
			}
			if be == nil {
				be = m.Err()
			}
			if !errors.Is(be, ErrBudget) || be.Budget != budget || be.Process {
				t.Errorf("error = %#v", be)
			}
			if c.refused != (be.Need > 0) {
				t.Errorf("refused before building = %v, want %v (%v)", be.Need > 0, c.refused, be)
			}
			if c.refused && allocated > 4*budget {
				t.Errorf("the script allocated %s (garbage included) before it was refused; budget %s", Bytes(int64(allocated)), Bytes(budget))
			}
			if !c.refused && (be.Held <= budget || be.Held > 2*budget) {
				t.Errorf("measured %s held; want over the budget %s by less than the budget", Bytes(be.Held), Bytes(budget))
			}
			if !strings.Contains(err.Error(), "memory budget") {
				t.Errorf("error %q does not say memory budget", err)
			}
			m.Release()
			if u := pool.Used(); u != 0 {
				t.Errorf("pool holds %d bytes after release", u)
			}
			t.Logf("%v (allocated %s)", err, Bytes(int64(allocated)))
		})
	}
}

// TestProcessBudget: two calls each within their own budget, together
// over the process's; the one that grows past it is stopped, the other
// finishes.
func TestProcessBudget(t *testing.T) {
	pool := NewPool(0, 12<<20)
	hold, release := make(chan struct{}), make(chan struct{})
	wait := starlark.NewBuiltin("wait", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		close(hold)
		<-release
		return starlark.None, nil
	})
	// a measures while it waits: its held bytes are in the pool.
	srcA := "def main():\n    l = [\"y\" * 100 + str(i) for i in range(60000)]\n    for i in range(200000): pass\n    wait()\n    return len(l)\nn = main()"
	var wg sync.WaitGroup
	var errA error
	wg.Go(func() {
		_, _, errA = run(t, pool, srcA, starlark.StringDict{"wait": wait})
	})
	<-hold
	if u := pool.Used(); u < 6<<20 {
		t.Fatalf("pool holds %s while the first call holds its list; want ≥ 6 MiB", Bytes(u))
	}
	_, m, err := run(t, pool, "def main():\n    l = []\n    for i in range(100000000):\n        l.append(\"z\" * 100 + str(i))\nmain()", nil)
	var be *BudgetError
	if !errors.As(err, &be) {
		be = m.Err()
	}
	if be == nil || !be.Process {
		t.Fatalf("second call: want a process budget error, got %v", err)
	}
	close(release)
	wg.Wait()
	if errA != nil {
		t.Fatalf("first call was stopped too: %v", errA)
	}
	if u := pool.Used(); u != 0 {
		t.Errorf("pool holds %d bytes after both calls", u)
	}
	if pool.Stopped() != 1 {
		t.Errorf("stopped = %d, want 1", pool.Stopped())
	}
}

// TestRewriteKeepsMeaning runs each program with and without the rewrite
// and wants the same globals, or the same error.
func TestRewriteKeepsMeaning(t *testing.T) {
	progs := []string{
		`x = "a" + "b"`,
		`x = [1] + [2]`,
		`x = (1,) * 3`,
		`x = 3 * "ab"`,
		`x = b"ab" * 2 + b"c"`,
		`x = "%s-%d" % ("a", 1)`,
		`x = "%s" % "s"`,
		`x = 7 * 6 + 5 % 3 - 1`,
		`x = 1.5 * 2`,
		`x = 0 if False else 2 * 2`,
		`x = 12345678901234567890 * 98765432109876543210`,
		"a = [1]\nb = a\na += [2]\nx = (a, b, a == b)",
		"a = [1]\na += a\nx = a",
		"a = (1,)\nb = a\na += (2,)\nx = (a, b)",
		"s = 'ab'\ns *= 3\nx = s",
		"s = '%s!'\ns %= 'hi'\nx = s",
		"n = 1\nn += 2\nn *= 4\nx = n",
		"x = [i * 2 for i in range(3)] + [i + 1 for i in range(2)]",
		"def f(a, b = 'x' * 2, *c, **d):\n    return a + b\nx = f('y', c = 1)",
		"x = (lambda a = 'q' * 2: a + 'z')()",
		"d = {'k': [1]}\nd['k'] += [2]\nx = d",
		`x = 1 + "a"`,
		`x = "a" * "b"`,
		`x = "%d" % "a"`,
		"a = [1]\nfor e in a:\n    a += [2]\nx = a",
		"x = [[y * 2 for y in range(i)] for i in range(4) if i % 2 == 0]",
		"x = {k: v + 'v' for k, v in [('a', 'x'), ('b', 'y')]}",
		"x = [a + b for a in ['p', 'q'] for b in ['r', 's']]",
		"x = (list(range(3)), tuple('ab'.elems()), sorted([3, 1, 2]), enumerate(['a']), zip([1], [2]), set([1, 1]))",
		"x = sorted(['b', 'a'], key = lambda s: s, reverse = True)",
		"x = list(1)",
	}
	for _, src := range progs {
		var got [2]string
		for i, rw := range []bool{false, true} {
			prog := compile(t, src, rw, nil)
			thread := &starlark.Thread{}
			pool := NewPool(64<<20, 0)
			m := pool.Attach(thread, 0, nil)
			g, err := prog.Init(thread, Predeclared())
			m.Release()
			if err != nil {
				msg := err.Error()
				msg = strings.TrimPrefix(msg, "cannot apply += to list: ")
				got[i] = "error: " + msg
			} else {
				got[i] = fmt.Sprint(g["x"])
			}
		}
		if got[0] != got[1] && !sameError(got[0], got[1]) {
			t.Errorf("%s\nplain:     %s\nrewritten: %s", src, got[0], got[1])
		}
	}
}

// sameError accepts the one message the guard words differently:
// appending to a list under iteration.
func sameError(a, b string) bool {
	return strings.Contains(a, "during iteration") && strings.Contains(b, "during iteration")
}

// TestSizeCountsSharedOnce: a row shared by a table is counted once, and
// a list that holds itself is walked once.
func TestSizeCountsSharedOnce(t *testing.T) {
	g, _, err := run(t, NewPool(0, 0), "row = 'x' * 100000\ntable = [row] * 1000\ncyc = []\ncyc.append(cyc)", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := Size(g["table"]); n > 200_000 {
		t.Errorf("table of one shared 100 kB row counted as %s", Bytes(n))
	}
	if n := Size(g["row"]); n < 100_000 {
		t.Errorf("100 kB string counted as %d", n)
	}
	if n := Size(g["cyc"]); n <= 0 || n > 1000 {
		t.Errorf("self-holding list counted as %d", n)
	}
}

// TestStepLimitStillHolds: with a meter attached, the step limit is still
// enforced through the callback it was given.
func TestStepLimitStillHolds(t *testing.T) {
	prog := compile(t, "while True:\n    pass", true, nil)
	thread := &starlark.Thread{}
	hit := false
	m := NewPool(1<<20, 0).Attach(thread, 200_000, func(th *starlark.Thread) { hit = true; th.Cancel("too many steps") })
	defer m.Release()
	_, err := prog.Init(thread, Predeclared())
	if err == nil || !hit || !strings.Contains(err.Error(), "too many steps") {
		t.Fatalf("err = %v, callback ran = %v", err, hit)
	}
	if thread.Steps < 200_000 || thread.Steps > 200_010 {
		t.Errorf("stopped after %d steps, limit 200000", thread.Steps)
	}
	if m.Err() != nil {
		t.Errorf("budget error on a step-limited run: %v", m.Err())
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 64 << 20: "64.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
