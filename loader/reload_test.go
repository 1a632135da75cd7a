package loader_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/internal/testutil"
	"github.com/fsstar/fsstar/loader"
)

var chain = map[string]string{
	"ivr/main.star": `load("lib.util", "v")
main = "main " + v`,
	"lib/util.star": `load("lib.base", "b")
v = "util " + b`,
	"lib/base.star":   `b = "base1"`,
	"other/solo.star": `s = 1`,
}

func TestReloadLeafInvalidatesDependents(t *testing.T) {
	l, dir := newLoader(t, chain, loader.WithDebounce(10*time.Millisecond))
	if l.WatchMode() != loader.WatchNotify {
		t.Fatalf("watch mode %v, want notify on this system", l.WatchMode())
	}
	ch := events(t, l)
	old, err := l.Get("ivr.main")
	if err != nil {
		t.Fatal(err)
	}
	solo, _ := l.Get("other.solo")
	testutil.WriteFiles(t, dir, map[string]string{"lib/base.star": `b = "base2"`})
	for _, n := range []string{"lib.base", "lib.util", "ivr.main"} {
		ev := waitFor(t, ch, n)
		if ev.Kind != loader.Reloaded || ev.Cause != "lib.base" {
			t.Errorf("%s: event %v cause %s err %v, want reloaded because of lib.base", n, ev.Kind, ev.Cause, ev.Err)
		}
	}
	m, _ := l.Get("ivr.main")
	if got := global(t, m, "main"); got != `"main util base2"` {
		t.Errorf("after reload main = %s", got)
	}
	if m.Version <= old.Version {
		t.Errorf("version %d not newer than %d", m.Version, old.Version)
	}
	if got := global(t, old, "main"); got != `"main util base1"` {
		t.Errorf("old snapshot changed: %s", got)
	}
	if s, _ := l.Get("other.solo"); s != solo {
		t.Error("an unrelated module was reloaded")
	}
	if st := l.Stats(); st.Reloads != 3 {
		t.Errorf("reloads = %d, want 3", st.Reloads)
	}
}

func TestSyntaxErrorKeepsLastGood(t *testing.T) {
	l, dir := newLoader(t, chain, loader.WithDebounce(10*time.Millisecond))
	ch := events(t, l)
	good, err := l.Get("ivr.main")
	if err != nil {
		t.Fatal(err)
	}
	testutil.WriteFiles(t, dir, map[string]string{"lib/base.star": "b = (\n"})
	ev := waitFor(t, ch, "lib.base")
	if ev.Kind != loader.Failed || ev.KeptVersion == 0 {
		t.Fatalf("event %+v, want failed with a kept version", ev)
	}
	if want := filepath.Join(dir, "lib", "base.star") + ":2:1:"; !strings.Contains(ev.Err.Error(), want) {
		t.Errorf("error %q lacks position %s", ev.Err, want)
	}
	if ev := waitFor(t, ch, "ivr.main"); ev.Kind != loader.Failed || ev.KeptVersion != good.Version {
		t.Errorf("dependent event %+v, want failed keeping version %d", ev, good.Version)
	}
	if m, _ := l.Get("ivr.main"); m != good {
		t.Error("a failed reload replaced the serving version")
	}
	testutil.WriteFiles(t, dir, map[string]string{"lib/base.star": `b = "fixed"`})
	waitFor(t, ch, "lib.base")
	if ev := waitFor(t, ch, "ivr.main"); ev.Kind != loader.Reloaded {
		t.Fatalf("after the fix: %+v", ev)
	}
	m, _ := l.Get("ivr.main")
	if got := global(t, m, "main"); got != `"main util fixed"` {
		t.Errorf("main = %s", got)
	}
}

func TestSameContentNotRecompiled(t *testing.T) {
	l, dir := newLoader(t, chain, loader.WithDebounce(10*time.Millisecond))
	ch := events(t, l)
	m, _ := l.Get("ivr.main")
	before := l.Stats()
	testutil.WriteFiles(t, dir, map[string]string{"lib/base.star": chain["lib/base.star"]})
	if ev := waitFor(t, ch, "ivr.main"); ev.Kind != loader.Unchanged {
		t.Errorf("event %v, want unchanged", ev.Kind)
	}
	if m2, _ := l.Get("ivr.main"); m2 != m {
		t.Error("identical save replaced the module")
	}
	after := l.Stats()
	if after.Compiles != before.Compiles || after.Loads != before.Loads {
		t.Errorf("identical save: compiles %d→%d loads %d→%d", before.Compiles, after.Compiles, before.Loads, after.Loads)
	}
	// A change and a revert: the revert reuses the compiled program.
	testutil.WriteFiles(t, dir, map[string]string{"lib/base.star": `b = "other"`})
	waitFor(t, ch, "ivr.main")
	mid := l.Stats()
	testutil.WriteFiles(t, dir, map[string]string{"lib/base.star": chain["lib/base.star"]})
	waitFor(t, ch, "ivr.main")
	end := l.Stats()
	if end.Compiles != mid.Compiles || end.CacheHits <= mid.CacheHits {
		t.Errorf("revert recompiled: %+v → %+v", mid, end)
	}
}

func TestSaveViaRename(t *testing.T) {
	l, dir := newLoader(t, chain, loader.WithDebounce(20*time.Millisecond))
	ch := events(t, l)
	if _, err := l.Get("lib.base"); err != nil {
		t.Fatal(err)
	}
	// What vim and many editors do: write a new file, move it over the old.
	p := filepath.Join(dir, "lib", "base.star")
	tmp := filepath.Join(dir, "lib", ".base.star.swp")
	if err := os.WriteFile(tmp, []byte(`b = "renamed"`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p, p+"~"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	ev := waitFor(t, ch, "lib.base")
	if ev.Kind != loader.Reloaded {
		t.Fatalf("event %+v", ev)
	}
	m, _ := l.Get("lib.base")
	if got := global(t, m, "b"); got != `"renamed"` {
		t.Errorf("b = %s", got)
	}
}

func TestRemovedFileUnloads(t *testing.T) {
	l, dir := newLoader(t, chain, loader.WithDebounce(10*time.Millisecond))
	ch := events(t, l)
	main, _ := l.Get("ivr.main")
	if err := os.Remove(filepath.Join(dir, "lib", "util.star")); err != nil {
		t.Fatal(err)
	}
	if ev := waitFor(t, ch, "lib.util"); ev.Kind != loader.Removed {
		t.Errorf("event %+v, want removed", ev)
	}
	if ev := waitFor(t, ch, "ivr.main"); ev.Kind != loader.Failed || !errors.Is(ev.Err, loader.ErrNotFound) {
		t.Errorf("dependent event %+v, want failed with not found", ev)
	}
	if _, err := l.Get("lib.util"); !errors.Is(err, loader.ErrNotFound) {
		t.Errorf("Get(lib.util) = %v, want not found", err)
	}
	if m, _ := l.Get("ivr.main"); m != main {
		t.Error("dependent lost its last good version")
	}
	// Bringing the file back heals the dependent.
	testutil.WriteFiles(t, dir, map[string]string{"lib/util.star": `v = "back"`})
	if ev := waitFor(t, ch, "ivr.main"); ev.Kind != loader.Reloaded {
		t.Errorf("after restore: %+v", ev)
	}
}

func TestNewSubdirectoryWatched(t *testing.T) {
	l, dir := newLoader(t, map[string]string{"m.star": `load("new.deep.x", "x")`}, loader.WithDebounce(10*time.Millisecond))
	ch := events(t, l)
	if _, err := l.Get("m"); !errors.Is(err, loader.ErrNotFound) {
		t.Fatalf("Get(m) = %v, want not found", err)
	}
	// Creating new/deep/x.star is several changes (two directories, an
	// empty file, its content): m may first be reloaded as still not
	// found, or as missing x, before the last change brings it up.
	testutil.WriteFiles(t, dir, map[string]string{"new/deep/x.star": `x = 1`})
	waitUntil(t, ch, "m", func(ev loader.Event) bool { return ev.Kind == loader.Reloaded })
	testutil.WriteFiles(t, dir, map[string]string{"new/deep/x.star": `x = 2`})
	waitUntil(t, ch, "new.deep.x", func(ev loader.Event) bool {
		if ev.Kind != loader.Reloaded {
			return false
		}
		m, err := l.Get("new.deep.x")
		if err != nil || m.Version != ev.Version {
			return false
		}
		x, ok := m.Globals["x"] // an empty x.star (truncated, not yet written) has none
		return ok && x.String() == "2"
	})
}

func TestPolling(t *testing.T) {
	l, dir := newLoader(t, chain, loader.WithWatch(loader.WatchPoll), loader.WithPollInterval(20*time.Millisecond))
	if l.WatchMode() != loader.WatchPoll {
		t.Fatalf("mode %v", l.WatchMode())
	}
	ch := events(t, l)
	if _, err := l.Get("ivr.main"); err != nil {
		t.Fatal(err)
	}
	testutil.WriteFiles(t, dir, map[string]string{"lib/base.star": `b = "polled!"`})
	if ev := waitFor(t, ch, "ivr.main"); ev.Kind != loader.Reloaded {
		t.Fatalf("%+v", ev)
	}
	m, _ := l.Get("ivr.main")
	if got := global(t, m, "main"); got != `"main util polled!"` {
		t.Errorf("main = %s", got)
	}
	if err := os.Remove(filepath.Join(dir, "other", "solo.star")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Get("other.solo"); !errors.Is(err, loader.ErrNotFound) {
		t.Errorf("solo: %v", err)
	}
}
