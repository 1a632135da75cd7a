package loader_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fsstar/fsstar/loader"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// writeFiles writes name → content below dir, creating directories.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// events subscribes to l and returns the channel of its events.
func events(t testing.TB, l *loader.Loader) <-chan loader.Event {
	ch := make(chan loader.Event, 1000)
	cancel := l.Subscribe(func(ev loader.Event) { ch <- ev })
	t.Cleanup(cancel)
	return ch
}

// waitFor waits for an event about module; events about other modules
// are passed over.
func waitFor(t testing.TB, ch <-chan loader.Event, module string) loader.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-ch:
			if ev.Module == module {
				return ev
			}
		case <-deadline:
			t.Fatalf("no reload event for %s within 5s", module)
		}
	}
}

// newLoader creates a loader over a fresh temp dir holding files.
func newLoader(t testing.TB, files map[string]string, opts ...loader.Option) (*loader.Loader, string) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
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
