package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/loader"
	"github.com/fsstar/fsstar/membudget"
)

// TestMemoryBudget: a call that builds a huge string, and one that grows
// a list, are stopped with an error that wraps membudget.ErrBudget and a
// log line naming the call; a call running beside them finishes, and the
// pool is empty afterwards. Module top-level code is held to the same
// budget when it is loaded.
func TestMemoryBudget(t *testing.T) {
	pool := membudget.NewPool(4<<20, 64<<20)
	f := newFixture(t, map[string]string{
		"big.star": `
def handler(session, args):
    s = "x" * 1000000000
`,
		"grow.star": `
def handler(session, args):
    l = []
    while True:
        l.append({"n": len(l)})
`,
		"calm.star": `
def handler(session, args):
    gate()
    return "x" * 100 + "y"
`,
		"loadbig.star": `
table = ["row %d" % i for i in range(200000)]
def handler(session, args):
    pass
`,
	}, []loader.Option{loader.WithMemoryBudget(pool)}, engine.WithMemoryBudget(pool), engine.WithMaxSteps(0))
	deadline := errors.New("the test's deadline (20s) passed: the budget did not stop the script")
	ctx, cancel := context.WithTimeoutCause(bg, 20*time.Second, deadline)
	defer cancel()

	release, started := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	var calm starlark.Value
	var calmErr error
	wg.Go(func() {
		calm, calmErr = f.e.Handler(ctx, engine.CallInfo{UUID: "calm-uuid", Module: "calm",
			Locals: map[string]any{"gate": release, "started": started}}, starlark.None, starlark.None)
	})
	<-started

	for _, mod := range []string{"big", "grow"} {
		_, err := f.e.Handler(ctx, engine.CallInfo{UUID: mod + "-uuid", Module: mod}, starlark.None, starlark.None)
		if !errors.Is(err, membudget.ErrBudget) || errors.Is(err, deadline) {
			t.Fatalf("%s: err = %v, want the memory budget", mod, err)
		}
		var ce *engine.CallError
		if !errors.As(err, &ce) || ce.UUID != mod+"-uuid" || ce.Module != mod {
			t.Errorf("%s: err = %#v, want a CallError naming the call", mod, err)
		}
	}
	close(release)
	wg.Wait()
	if calmErr != nil || calm == nil || calm.(starlark.String) != starlark.String(strings.Repeat("x", 100)+"y") {
		t.Errorf("the calm call beside them: %v, %v", calm, calmErr)
	}
	if st := f.e.Stats().Entries[engine.EntryHandler]; st.MemoryLimited != 2 || st.Errors != 2 || st.StepLimited != 0 {
		t.Errorf("stats = %+v", st)
	}
	logs := f.log.String()
	for _, want := range []string{
		`call stopped by the memory budget: function=handler module=big uuid=big-uuid outcome=memory_budget error="memory budget: string * 1000000000 needs 953.7 MiB`,
		`call stopped by the memory budget: function=handler module=grow uuid=grow-uuid outcome=memory_budget error="memory budget: the call holds more than its budget of 4.0 MiB`,
		"big.star:3:", // the backtrace says where
		"grow.star:5:",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if u := pool.Used(); u != 0 {
		t.Errorf("pool holds %d bytes after every call ended", u)
	}

	_, err := f.e.Handler(ctx, engine.CallInfo{UUID: "l", Module: "loadbig"}, starlark.None, starlark.None)
	if !errors.Is(err, membudget.ErrBudget) {
		t.Errorf("module whose top level holds 1M rows: err = %v, want the memory budget", err)
	}
}
