package scriptcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckCountsAndSorts(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, src string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.star", "def runtime():\n    pass\n")
	write("a.star", "x = undefined\n")
	write("ok.star", "def fsapi(session, stream, env, args):\n    stream.write(args)\n")
	write("bad-name.star", "")
	write(".hidden/skip.star", "this is not starlark")
	res, err := Check([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Modules != 4 {
		t.Errorf("Modules = %d, want 4", res.Modules)
	}
	var got []string
	for _, p := range res.Problems {
		rel, _ := filepath.Rel(dir, p.File)
		got = append(got, Problem{File: rel, Line: p.Line, Col: p.Col, Msg: p.Msg}.String())
	}
	want := []string{
		"a.star:1:5: undefined: undefined",
		"b.star:1:1: runtime takes 0 parameters, runtime(args) needs 1",
		`bad-name.star:1:1: file name is not a module name: module name "bad-name": segment "bad-name" must match [A-Za-z_][A-Za-z0-9_]*`,
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%q\nwant\n%q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("problem %d = %q, want %q", i, got[i], want[i])
		}
	}
	if _, err := Check([]string{filepath.Join(dir, "nope")}, Options{}); err == nil {
		t.Error("Check of a missing directory: no error")
	}
}

// TestCheckLoadCycle: modules that load each other are each reported with
// the cycle, told by loader.CycleError (a failing load() of another kind is
// reported at the module that fails).
func TestCheckLoadCycle(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"a.star": "load(\"b\", \"x\")\ny = 1\n",
		"b.star": "load(\"a\", \"y\")\nx = 1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Check([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Problems {
		rel, _ := filepath.Rel(dir, p.File)
		got = append(got, fmt.Sprintf("%s:%d:%d: %s", rel, p.Line, p.Col, p.Msg))
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "a.star:1:1: ") || !strings.HasSuffix(got[0], "load cycle: a -> b -> a") ||
		!strings.HasPrefix(got[1], "b.star:1:1: ") || !strings.HasSuffix(got[1], "load cycle: b -> a -> b") {
		t.Errorf("problems:\n%s\nwant a.star and b.star each with its load cycle", strings.Join(got, "\n"))
	}
}

// TestCheckBlockingTopLevel: top-level code that blocks is stopped by the
// load timeout and reported.
func TestCheckBlockingTopLevel(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "slow.star"), []byte("freeswitch.msleep(600000)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "spin.star"), []byte("while True:\n    pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Check([]string{dir}, Options{LoadTimeout: 100 * time.Millisecond, MaxSteps: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 2 {
		t.Fatalf("problems = %v, want 2", res.Problems)
	}
	for _, p := range res.Problems {
		t.Log(p)
	}
}

// TestCheckMemoryBudget: top-level code that builds more than the budget
// is reported as a problem of its module, without the checker building it.
func TestCheckMemoryBudget(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "huge.star"), []byte("x = \"x\" * 1000000000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "table.star"), []byte("rows = [str(i) for i in range(100000)]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Check([]string{dir}, Options{MaxMemoryBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 2 {
		t.Fatalf("problems = %v, want one per module", res.Problems)
	}
	for _, p := range res.Problems {
		if !strings.Contains(p.String(), "memory budget") {
			t.Errorf("problem %v does not name the memory budget", p)
		}
	}
}
