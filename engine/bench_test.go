package engine_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/internal/testutil"
	"github.com/fsstar/fsstar/loader"
	"github.com/fsstar/fsstar/membudget"
	"go.starlark.net/starlark"
)

const trivial = `
GREETING = "hello"
TABLE = {"a": 1}
def handler(session, args):
    return GREETING
`

// BenchmarkBareStarlarkCall is the floor: a fresh Thread and a
// starlark.Call of the same frozen handler, nothing else.
func BenchmarkBareStarlarkCall(b *testing.B) {
	f := newFixture(b, map[string]string{"ivr/main.star": trivial}, []loader.Option{loader.WithWatch(loader.WatchOff)})
	m, err := f.ld.Get("ivr.main")
	if err != nil {
		b.Fatal(err)
	}
	fn := m.Globals["handler"]
	args := starlark.Tuple{starlark.None, starlark.String("a")}
	b.ReportAllocs()
	for b.Loop() {
		thread := &starlark.Thread{Name: "bare"}
		if _, err := starlark.Call(thread, fn, args, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandlerCall is the engine's per-call path for a trivial
// handler: spec parsing, module lookup, arity check, thread set-up,
// metrics, call.
func BenchmarkHandlerCall(b *testing.B) {
	f := newFixture(b, map[string]string{"ivr/main.star": trivial}, []loader.Option{loader.WithWatch(loader.WatchOff)})
	info := engine.CallInfo{UUID: "0d6c1b1e-5bb4-4a8e-9a3c-6a3f6f0e2a11", Module: "ivr.main"}
	session, args := starlark.None, starlark.String("a")
	if _, err := f.e.Handler(bg, info, session, args); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.e.Handler(bg, info, session, args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandlerCallCancellable adds what a real call has: a
// cancellable context (so the AfterFunc registration) and a Locals entry.
func BenchmarkHandlerCallCancellable(b *testing.B) {
	f := newFixture(b, map[string]string{"ivr/main.star": trivial}, []loader.Option{loader.WithWatch(loader.WatchOff)})
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	info := engine.CallInfo{UUID: "0d6c1b1e-5bb4-4a8e-9a3c-6a3f6f0e2a11", Module: "ivr.main::handler", Locals: map[string]any{"session": 1}}
	session, args := starlark.None, starlark.String("a")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.e.Handler(ctx, info, session, args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkColdCompile1000 loads 1,000 generated modules (each loading
// two shared library modules) into a fresh loader.
func BenchmarkColdCompile1000(b *testing.B) {
	dir := b.TempDir()
	files := map[string]string{
		"lib/util.star": "def fmt(x):\n    return \"<%s>\" % x\n",
		"lib/base.star": "BASE = {\"a\": 1, \"b\": [1, 2, 3]}\n",
	}
	for i := range 1000 {
		files[fmt.Sprintf("gen/g%d/m%d.star", i%20, i)] = fmt.Sprintf(`load("lib.util", "fmt")
load("lib/base.star", "BASE")
NAME = fmt(%d)
PROMPTS = ["welcome-%d.wav", "menu.wav"]

def handler(session, args):
    if args == "night":
        return night(session)
    for p in PROMPTS:
        session.streamFile(p)
    return NAME

def night(session):
    return BASE["a"] + %d
`, i, i, i)
	}
	testutil.WriteFiles(b, dir, files)
	names := make([]string, 0, 1000)
	for i := range 1000 {
		names = append(names, fmt.Sprintf("gen.g%d.m%d", i%20, i))
	}
	b.ResetTimer()
	for b.Loop() {
		ld, err := loader.New([]string{dir}, loader.WithWatch(loader.WatchOff))
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range names {
			if _, err := ld.Get(n); err != nil {
				b.Fatal(err)
			}
		}
		ld.Close()
	}
}

// BenchmarkSaveToServe measures the time from a file save (write done)
// until the new version is what Get returns, through real fsnotify and
// the debounce, for a leaf module loaded by another.
func BenchmarkSaveToServe(b *testing.B) {
	for _, debounce := range []time.Duration{5 * time.Millisecond, 30 * time.Millisecond} {
		b.Run("debounce="+debounce.String(), func(b *testing.B) {
			f := newFixture(b, map[string]string{
				"lib/base.star": `V = 0`,
				"ivr/main.star": "load(\"lib.base\", \"V\")\nW = V\n",
			}, []loader.Option{loader.WithDebounce(debounce)})
			if _, err := f.ld.Get("ivr.main"); err != nil {
				b.Fatal(err)
			}
			served := make(chan struct{}, 16)
			defer f.ld.Subscribe(func(ev loader.Event) {
				if ev.Module == "ivr.main" && ev.Kind == loader.Reloaded {
					served <- struct{}{}
				}
			})()
			var lat []time.Duration
			i := 0
			for b.Loop() {
				i++
				want := fmt.Sprint(i)
				testutil.WriteFiles(b, f.dir, map[string]string{"lib/base.star": "V = " + want})
				start := time.Now()
				select {
				case <-served:
				case <-time.After(5 * time.Second):
					b.Fatal("no reload within 5s")
				}
				m, _ := f.ld.Get("ivr.main")
				if got := m.Globals["W"].String(); got != want {
					b.Fatalf("serving W=%s, want %s", got, want)
				}
				lat = append(lat, time.Since(start))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkHandlerCallMemoryBudget is BenchmarkHandlerCall with the memory
// budget on (membudget): the per-call cost of attaching a meter, side by
// side with the call without one.
func BenchmarkHandlerCallMemoryBudget(b *testing.B) {
	pool := membudget.NewPool(membudget.DefaultPerCall, membudget.DefaultProcess)
	f := newFixture(b, map[string]string{"ivr/main.star": trivial}, []loader.Option{loader.WithWatch(loader.WatchOff)}, engine.WithMemoryBudget(pool))
	info := engine.CallInfo{UUID: "0d6c1b1e-5bb4-4a8e-9a3c-6a3f6f0e2a11", Module: "ivr.main"}
	session, args := starlark.None, starlark.String("a")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.e.Handler(bg, info, session, args); err != nil {
			b.Fatal(err)
		}
	}
}
