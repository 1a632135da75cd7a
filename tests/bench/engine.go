package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/loader"
	"go.starlark.net/starlark"
)

// engineResult is the engine's own cost per call, in process, with no
// switch: what fsstar adds to any call before the script does anything.
type engineResult struct {
	BareNs, HandlerNs         float64 // a fresh Thread + starlark.Call; Engine.Handler
	BareAllocs, HandlerAllocs int64
	BareBytes, HandlerBytes   int64
	Err                       string
}

const trivialHandler = `
GREETING = "hello"
def handler(session, args):
    return GREETING
`

// measureEngine times Engine.Handler of a trivial handler against a bare
// starlark.Call of the same function, benchmark style (testing.Benchmark).
func measureEngine(short bool) engineResult {
	var r engineResult
	dir, err := os.MkdirTemp("", "fsstar-bench-engine-")
	if err != nil {
		return engineResult{Err: err.Error()}
	}
	defer os.RemoveAll(dir)
	if err := writeFile(filepath.Join(dir, "ivr", "main.star"), trivialHandler); err != nil {
		return engineResult{Err: err.Error()}
	}
	ld, err := loader.New([]string{dir}, loader.WithWatch(loader.WatchOff))
	if err != nil {
		return engineResult{Err: err.Error()}
	}
	defer ld.Close()
	eng := engine.New(ld)
	m, err := ld.Get("ivr.main")
	if err != nil {
		return engineResult{Err: err.Error()}
	}
	fn := m.Globals["handler"]
	args := starlark.Tuple{starlark.None, starlark.String("a")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	info := engine.CallInfo{UUID: "0d6c1b1e-5bb4-4a8e-9a3c-6a3f6f0e2a11", Module: "ivr.main", Locals: map[string]any{"session": 1}}
	if _, err := eng.Handler(ctx, info, starlark.None, starlark.String("a")); err != nil {
		return engineResult{Err: err.Error()}
	}
	r.BareNs, r.BareAllocs, r.BareBytes = runBench(short, func(n int) {
		for range n {
			thread := &starlark.Thread{Name: "bare"}
			starlark.Call(thread, fn, args, nil)
		}
	})
	r.HandlerNs, r.HandlerAllocs, r.HandlerBytes = runBench(short, func(n int) {
		for range n {
			eng.Handler(ctx, info, starlark.None, starlark.String("a"))
		}
	})
	if s := eng.Stats().Total(); s.Errors > 0 {
		r.Err = fmt.Sprintf("%d handler errors", s.Errors)
	}
	return r
}

// runBench runs f benchmark style: testing.Benchmark (about a second),
// or 2,000 iterations timed by hand in short mode. It returns ns, allocs
// and bytes per iteration.
func runBench(short bool, f func(n int)) (ns float64, allocs, bytes int64) {
	if !short {
		res := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			f(b.N)
		})
		return float64(res.T.Nanoseconds()) / float64(res.N), res.AllocsPerOp(), res.AllocedBytesPerOp()
	}
	const n = 2000
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	f(n)
	el := time.Since(start)
	runtime.ReadMemStats(&m1)
	return float64(el.Nanoseconds()) / n, int64(m1.Mallocs-m0.Mallocs) / n, int64(m1.TotalAlloc-m0.TotalAlloc) / n
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}
