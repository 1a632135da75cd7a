package loader_test

import (
	"testing"
	"time"

	"github.com/fsstar/fsstar/internal/testutil"
	"github.com/fsstar/fsstar/loader"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// evq collects a loader's events so a test can wait for the one about a
// given module, whatever the order within a reload.
type evq struct {
	ch      chan loader.Event
	backlog []loader.Event
}

// events subscribes to l.
func events(t testing.TB, l *loader.Loader) *evq {
	q := &evq{ch: make(chan loader.Event, 1000)}
	cancel := l.Subscribe(func(ev loader.Event) { q.ch <- ev })
	t.Cleanup(cancel)
	return q
}

// waitFor returns the next event about module, waiting up to 5s.
func waitFor(t testing.TB, q *evq, module string) loader.Event {
	t.Helper()
	for i, ev := range q.backlog {
		if ev.Module == module {
			q.backlog = append(q.backlog[:i], q.backlog[i+1:]...)
			return ev
		}
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-q.ch:
			if ev.Module == module {
				return ev
			}
			q.backlog = append(q.backlog, ev)
		case <-deadline:
			t.Fatalf("no reload event for %s within 5s", module)
		}
	}
}

// waitUntil returns the first event about module for which ok holds,
// waiting up to 5s. The events about module before it are dropped: they
// are states the loader rightly saw while a file was still being written
// (a file created empty and filled after the debounce compiles without its
// names; a directory seen before its file is created reloads the module as
// not found), each followed by the event of the next change.
func waitUntil(t testing.TB, q *evq, module string, ok func(loader.Event) bool) loader.Event {
	t.Helper()
	var seen, keep []loader.Event
	for i, ev := range q.backlog {
		switch {
		case ev.Module != module:
			keep = append(keep, ev)
		case ok(ev):
			q.backlog = append(keep, q.backlog[i+1:]...)
			return ev
		default:
			seen = append(seen, ev)
		}
	}
	q.backlog = keep
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-q.ch:
			switch {
			case ev.Module != module:
				q.backlog = append(q.backlog, ev)
			case ok(ev):
				return ev
			default:
				seen = append(seen, ev)
			}
		case <-deadline:
			t.Fatalf("no event for %s as wanted within 5s; saw %+v", module, seen)
		}
	}
}

// newLoader creates a loader over a fresh temp dir holding files.
func newLoader(t testing.TB, files map[string]string, opts ...loader.Option) (*loader.Loader, string) {
	t.Helper()
	dir := t.TempDir()
	testutil.WriteFiles(t, dir, files)
	l, err := loader.New([]string{dir}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, dir
}

func global(t testing.TB, m *loader.Module, name string) string {
	t.Helper()
	v, ok := m.Globals[name]
	if !ok {
		t.Fatalf("module %s has no global %s (has %v)", m.Name, name, m.Globals.Keys())
	}
	return v.String()
}
