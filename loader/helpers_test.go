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
