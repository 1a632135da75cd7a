package loader_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fsstar/fsstar/internal/testutil"
	"github.com/fsstar/fsstar/loader"
	"go.starlark.net/starlark"
)

func TestGetDottedAndRootOrder(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	testutil.WriteFiles(t, first, map[string]string{"ivr/main.star": `who = "first"`})
	testutil.WriteFiles(t, second, map[string]string{"ivr/main.star": `who = "second"`, "ivr/other.star": `who = "second"`})
	l, err := loader.New([]string{first, second}, loader.WithWatch(loader.WatchOff))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m, err := l.Get("ivr.main")
	if err != nil {
		t.Fatal(err)
	}
	if got := global(t, m, "who"); got != `"first"` {
		t.Errorf("ivr.main from %s, want the first root", got)
	}
	if m.Path != filepath.Join(first, "ivr", "main.star") || m.Name != "ivr.main" || m.Version == 0 || m.Hash == "" {
		t.Errorf("module snapshot = %+v", m)
	}
	o, err := l.Get("ivr.other")
	if err != nil || global(t, o, "who") != `"second"` {
		t.Errorf("ivr.other: %v", err)
	}
	if _, err := l.Get("ivr.none"); !errors.Is(err, loader.ErrNotFound) {
		t.Errorf("Get(ivr.none) = %v, want ErrNotFound", err)
	}
	m2, _ := l.Get("ivr.main")
	if m2 != m {
		t.Error("second Get returned a different snapshot")
	}
}

func TestLoadChain(t *testing.T) {
	l, _ := newLoader(t, map[string]string{
		"ivr/main.star": `load("lib.util", "greet")
load("lib/base.star", base = "name")
msg = greet(base)`,
		"lib/util.star": `load("lib.base", "name")
def greet(x):
    return "hello " + x`,
		"lib/base.star": `name = "base"`,
	}, loader.WithWatch(loader.WatchOff))
	m, err := l.Get("ivr.main")
	if err != nil {
		t.Fatal(err)
	}
	if got := global(t, m, "msg"); got != `"hello base"` {
		t.Errorf("msg = %s", got)
	}
	if got := strings.Join(m.DepNames(), ","); got != "lib.util,lib.base" {
		t.Errorf("deps = %s", got)
	}
	if got := strings.Join(l.Loaded(), ","); got != "ivr.main,lib.base,lib.util" {
		t.Errorf("loaded = %s", got)
	}
	util, _ := l.Lookup("lib.util")
	if util.Deps[0] != m.Deps[1] {
		t.Error("lib.base was loaded twice")
	}
}

func TestLoadCycle(t *testing.T) {
	l, _ := newLoader(t, map[string]string{
		"a.star": `load("b", "x")
y = 1`,
		"b.star": `load("c", "z")
x = 1`,
		"c.star": `load("a", "y")
z = 1`,
	}, loader.WithWatch(loader.WatchOff))
	_, err := l.Get("a")
	if err == nil || !strings.Contains(err.Error(), "load cycle: a -> b -> c -> a") {
		t.Fatalf("Get(a) = %v, want a load cycle error with the chain", err)
	}
	if !strings.Contains(err.Error(), "a.star:1:") {
		t.Errorf("cycle error has no position: %v", err)
	}
	ce, ok := errors.AsType[*loader.CycleError](err)
	if !ok || strings.Join(ce.Chain, " ") != "a b c a" {
		t.Errorf("Get(a) = %v, want a *loader.CycleError with the chain a b c a", err)
	}
}

func TestTraversalRefused(t *testing.T) {
	outside := t.TempDir()
	testutil.WriteFiles(t, outside, map[string]string{"secret.star": `x = "secret"`, "dir/s.star": `x = 1`})
	l, dir := newLoader(t, map[string]string{
		"viapath.star":  `load("../secret.star", "x")`,
		"viadots.star":  `load("..secret", "x")`,
		"viaabs.star":   `load("` + filepath.ToSlash(filepath.Join(outside, "secret.star")) + `", "x")`,
		"real/in.star":  `x = "inside"`,
		"useslink.star": "load(\"inlink\", y = \"x\")\nx = y",
	}, loader.WithWatch(loader.WatchOff))
	if err := os.Symlink(filepath.Join(outside, "secret.star"), filepath.Join(dir, "link.star")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "dir"), filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "real", "in.star"), filepath.Join(dir, "inlink.star")); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"viapath":    `"../secret.star"`,
		"viadots":    `"..secret"`,
		"viaabs":     "absolute paths are refused",
		"link":       "outside script directory",
		"linkdir.s":  "outside script directory",
		"../secret":  `"../secret"`,
		"%2e%2e.x":   `"%2e%2e.x"`,
		"a\x00b":     `"a\x00b"`,
		`real\in`:    `"real\\in"`,
		"/etc/passw": `"/etc/passw"`,
	} {
		_, err := l.Get(name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Get(%q) = %v, want an error containing %s", name, err, want)
		}
	}
	m, err := l.Get("useslink")
	if err != nil || global(t, m, "x") != `"inside"` {
		t.Errorf("a symlink inside the root should load: %v", err)
	}
}

func TestFrozenGlobals(t *testing.T) {
	l, _ := newLoader(t, map[string]string{
		"m.star": `calls = []
def handler(session, args):
    calls.append(args)
    return len(calls)`,
	}, loader.WithWatch(loader.WatchOff))
	m, err := l.Get("m")
	if err != nil {
		t.Fatal(err)
	}
	_, err = starlark.Call(&starlark.Thread{}, m.Globals["handler"], starlark.Tuple{starlark.None, starlark.String("a")}, nil)
	if err == nil || !strings.Contains(err.Error(), "frozen") {
		t.Fatalf("mutating a global at call time: %v, want a frozen error", err)
	}
}

func TestLoadTimeLimits(t *testing.T) {
	var mu sync.Mutex
	var printed []string
	l, _ := newLoader(t, map[string]string{
		"spin.star": "while True:\n    pass\n",
		"talk.star": `print("loading", 42)`,
		"bad.star":  "x = 1\ny = x +\n",
		"undef.star": `def f():
    return nope
`,
		"fail.star": `x = 1 // 0`,
	}, loader.WithWatch(loader.WatchOff), loader.WithMaxSteps(10000), loader.WithThreadSetup(func(th *starlark.Thread) {
		th.Print = func(_ *starlark.Thread, msg string) { mu.Lock(); printed = append(printed, msg); mu.Unlock() }
	}))
	if _, err := l.Get("spin"); err == nil || !strings.Contains(err.Error(), "too many steps") {
		t.Errorf("top-level while True: %v", err)
	}
	if _, err := l.Get("talk"); err != nil {
		t.Fatal(err)
	}
	if len(printed) != 1 || printed[0] != "loading 42" {
		t.Errorf("printed %q", printed)
	}
	for name, want := range map[string]string{"bad": "bad.star:2:8:", "undef": "undef.star:2:12: undefined: nope", "fail": "fail.star:1:7: floored division by zero"} {
		if _, err := l.Get(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Get(%s) = %v, want %q", name, err, want)
		}
	}
}

func TestConcurrentFirstGet(t *testing.T) {
	l, _ := newLoader(t, map[string]string{"m.star": `load("lib", "x")
y = x`, "lib.star": "x = 1"}, loader.WithWatch(loader.WatchOff))
	var wg sync.WaitGroup
	got := make([]*loader.Module, 64)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := l.Get("m")
			if err != nil {
				t.Error(err)
			}
			got[i] = m
		}()
	}
	wg.Wait()
	for _, m := range got {
		if m != got[0] {
			t.Fatal("concurrent first Gets returned different snapshots")
		}
	}
	if s := l.Stats(); s.Loads != 2 || s.Compiles != 2 {
		t.Errorf("stats after concurrent Gets = %+v, want 2 loads and 2 compiles", s)
	}
}
