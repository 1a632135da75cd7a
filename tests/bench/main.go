// Command bench runs fsstar's benchmarks (issue 8) and writes BENCHMARKS.md.
//
//	go run ./tests/bench                 # the full run, a few minutes on 2 cores
//	go run ./tests/bench -smoke          # seconds: what CI runs (bench_test.go)
//
// The same call flow (answer, playback of a 0 ms tone, setVariable,
// getVariable, hangup) runs through each contender in one run, side by
// side, repeated -repeat times: fsstar serve with a Starlark handler in
// socket mode and in park mode (issue 14), a raw Go handler on the esl
// package, and Node modesl. Each contender is a child
// process in its own process group, so /proc gives its own CPU and RSS; the
// simulated switch (esltest) runs in this process and is measured alone
// first. See BENCHMARKS.md for what each figure means.
//
// With FSSTAR_BENCH_FREESWITCH=host:port the flow also runs on a real
// FreeSWITCH as loopback calls, with mod_lua in the switch as one more row
// and park mode with each -park-connections count.
//
// FSSTAR_BENCH_LOG_DIR=dir is for debugging, not benchmarking: fsstar
// contenders log at debug level into files there, and the uuid_dump of
// each real-switch call left up after its window is written there too.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is what the flags chose.
type config struct {
	Smoke       bool
	Calls       int
	Concurrency int
	Repeat      int
	Park        []int
	HTTPReqs    int
	Reloads     int
	Out         string
	SVG         string
	Only        map[string]bool // contender keys; empty means all
	Budget      time.Duration   // per measurement window
	Profile     string          // directory for pprof CPU profiles of fsstar
	Args        []string
	// The real switch (FSSTAR_BENCH_FREESWITCH): each row's measured
	// window, calls in flight, and the park-connection counts measured.
	FSWindow      time.Duration
	FSConcurrency int
	ParkK         []int
	// FSOnly skips everything but the real-switch table.
	FSOnly bool
	// FSWire adds a window for fsstar's socket and park rows with their
	// event sockets through counting proxies.
	FSWire bool
	// FSPerf is a directory for `perf record -a` profiles of the first
	// repetition's measured windows of fsstar's socket and park rows and
	// the dialplan row ("" for none).
	FSPerf string
}

func main() { os.Exit(realMain()) }

// realMain runs the harness and returns the exit code, so deferred work
// (stopping children, the CPU profile) always runs.
func realMain() int {
	role := flag.String("role", "", "internal: run as a contender (raw) instead of the harness")
	listen := flag.String("listen", "127.0.0.1:0", "internal: address of -role raw")
	smoke := flag.Bool("smoke", false, "tiny run in seconds (CI); writes -out but is no benchmark")
	calls := flag.Int("calls", 6000, "calls per contender per repetition for calls/s")
	conc := flag.Int("concurrency", 100, "calls in flight at once for calls/s (saturation)")
	repeat := flag.Int("repeat", 3, "repetitions of every row (min/median/max)")
	park := flag.String("park", "1000,5000", "concurrent parked calls for RSS, comma-separated")
	httpReqs := flag.Int("http-requests", 20000, "requests per window for xml_fetch and fsapi")
	reloads := flag.Int("reloads", 30, "saves per repetition for save→reload latency")
	out := flag.String("out", "BENCHMARKS.md", "report to write")
	svg := flag.String("svg", "", "plot to write (default: beside -out, .svg)")
	only := flag.String("only", "", "contenders to run, comma-separated (switch,fsstar,fsstar-park,raw,modesl; on the real switch also lua and dialplan); default all")
	profile := flag.String("profile", "", "build fsstar with -tags fsstar_pprof and write its CPU profiles (calls, xml_fetch) to this directory")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the harness process (the simulated switch) to this file")
	budget := flag.Duration("budget", 60*time.Second, "time bound of one measurement window")
	fsWindow := flag.Duration("fs-window", 15*time.Second, "real switch: measured window of each row and repetition (after a 2 s warm-up)")
	fsConc := flag.Int("fs-concurrency", 60, "real switch: calls in flight at once")
	parkK := flag.String("park-connections", "1,2,4", "real switch: park-mode connection counts (-park-connections of fsstar serve) to measure, comma-separated")
	fsWire := flag.Bool("fs-wire", true, "real switch: one more window each for fsstar's socket and park mode with the event sockets through counting proxies (events, commands and bytes per call)")
	fsPerf := flag.String("fs-perf", "", "real switch: write `perf record -a -g` profiles of the first repetition's measured windows of fsstar (socket and park mode) and the dialplan row to this directory")
	fsOnly := flag.Bool("fs-only", false, "measure only on the real switch (FSSTAR_BENCH_FREESWITCH): skip the simulated switch, HTTP, engine and reload sections")
	flag.Parse()

	if *role != "" {
		if *role != "raw" {
			fmt.Fprintf(os.Stderr, "bench: unknown -role %q\n", *role)
			return 2
		}
		if err := runRaw(*listen); err != nil {
			fmt.Fprintln(os.Stderr, "bench -role raw:", err)
			return 1
		}
		return 0
	}

	cfg := config{Smoke: *smoke, Calls: *calls, Concurrency: *conc, Repeat: *repeat, HTTPReqs: *httpReqs,
		Reloads: *reloads, Out: *out, SVG: *svg, Budget: *budget, Profile: *profile, Args: os.Args[1:], Only: map[string]bool{},
		FSWindow: *fsWindow, FSConcurrency: *fsConc, FSOnly: *fsOnly, FSWire: *fsWire, FSPerf: *fsPerf}
	for _, s := range strings.Split(*parkK, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 && !slices.Contains(cfg.ParkK, n) {
			cfg.ParkK = append(cfg.ParkK, n)
		}
	}
	if len(cfg.ParkK) == 0 {
		cfg.ParkK = []int{1}
	}
	for _, s := range strings.Split(*park, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
			cfg.Park = append(cfg.Park, n)
		}
	}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Only[s] = true
		}
	}
	if cfg.Smoke {
		// Small enough for CI in seconds; explicit flags still win.
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		def := func(name string, p *int, v int) {
			if !set[name] {
				*p = v
			}
		}
		def("calls", &cfg.Calls, 40)
		def("concurrency", &cfg.Concurrency, 8)
		def("repeat", &cfg.Repeat, 1)
		def("http-requests", &cfg.HTTPReqs, 300)
		def("reloads", &cfg.Reloads, 3)
		if !set["park"] {
			cfg.Park = []int{20}
		}
		if !set["budget"] {
			cfg.Budget = 15 * time.Second
		}
		def("fs-concurrency", &cfg.FSConcurrency, 8)
		if !set["fs-window"] {
			cfg.FSWindow = 3 * time.Second
		}
		if !set["park-connections"] {
			cfg.ParkK = []int{1}
		}
	}
	if cfg.SVG == "" {
		cfg.SVG = strings.TrimSuffix(cfg.Out, filepath.Ext(cfg.Out)) + ".svg"
	}

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if err := writeReport(cfg, res); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	fmt.Printf("bench: wrote %s and %s in %s\n", cfg.Out, cfg.SVG, res.Took.Round(time.Second))
	if failed := res.failures(); failed != "" {
		fmt.Fprintln(os.Stderr, "bench: some measurements failed:", failed)
		return 1
	}
	return 0
}

// logf prints progress to stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}
