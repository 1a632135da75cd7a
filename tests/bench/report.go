package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// row figures shared by the tables, the goals and the plot.
func (r *results) cps(key string) spread {
	var xs []float64
	for _, c := range r.Calls[key] {
		xs = append(xs, c.CPS())
	}
	return spreadOf(xs)
}

// ratio is a/b per repetition (both ran side by side in it).
func (r *results) ratio(a, b string) spread {
	var xs []float64
	ra, rb := r.Calls[a], r.Calls[b]
	for i := range min(len(ra), len(rb)) {
		if rb[i].CPS() > 0 {
			xs = append(xs, ra[i].CPS()/rb[i].CPS())
		}
	}
	return spreadOf(xs)
}

// switchCPUPerCall is the median over repetitions of the harness
// process's (the simulated switch's) CPU per completed call, in µs.
func (r *results) switchCPUPerCall(key string) float64 {
	var xs []float64
	for _, c := range r.Calls[key] {
		if c.Calls > 0 {
			xs = append(xs, float64(c.SwitchCPU.Microseconds())/float64(c.Calls))
		}
	}
	return spreadOf(xs).Med
}

// perCallRatio is, per repetition, a's CPU per call over b's: the
// simulated switch's (the harness process) with sw, else the contender's.
func (r *results) perCallRatio(a, b string, sw bool) spread {
	per := func(c callRun) float64 {
		if c.Calls == 0 {
			return 0
		}
		if sw {
			return float64(c.SwitchCPU) / float64(c.Calls)
		}
		return float64(c.ContenderCPU) / float64(c.Calls)
	}
	var xs []float64
	ra, rb := r.Calls[a], r.Calls[b]
	for i := range min(len(ra), len(rb)) {
		if x, y := per(ra[i]), per(rb[i]); y > 0 {
			xs = append(xs, x/y)
		}
	}
	return spreadOf(xs)
}

// cpuPerCall is the median over repetitions of the contender process's
// CPU per completed call, in µs.
func (r *results) cpuPerCall(key string) float64 {
	var xs []float64
	for _, c := range r.Calls[key] {
		if c.Calls > 0 {
			xs = append(xs, float64(c.ContenderCPU.Microseconds())/float64(c.Calls))
		}
	}
	return spreadOf(xs).Med
}

func (r *results) parkKiB(key string, n int) spread {
	var xs []float64
	for _, p := range r.Park[key][n] {
		if p.Parked > 0 {
			xs = append(xs, float64(p.PerCall)/1024)
		}
	}
	return spreadOf(xs)
}

func httpSpread(runs []httpRun, f func(httpRun) float64) spread {
	var xs []float64
	for _, h := range runs {
		xs = append(xs, f(h))
	}
	return spreadOf(xs)
}

func (r *results) reloadAll() []time.Duration {
	var all []time.Duration
	for _, rl := range r.Reload {
		all = append(all, rl.Lat...)
	}
	return all
}

func (r *results) contender(key string) *contender {
	for _, c := range r.Contenders {
		if c.Key == key {
			return c
		}
	}
	return &contender{Key: key, Name: key, Skip: "unknown"}
}

// goal is one line of the goals section.
type goal struct {
	Text   string
	Met    bool
	Status string // met / NOT met / not measured
	Why    string
}

func (r *results) goals(cfg config) []goal {
	var gs []goal
	add := func(text string, measured, met bool, why string) {
		g := goal{Text: text, Met: measured && met, Why: why}
		switch {
		case !measured:
			g.Status = "not measured"
		case met:
			g.Status = "met"
		default:
			g.Status = "NOT met"
		}
		gs = append(gs, g)
	}
	skipWhy := func(keys ...string) string {
		var ws []string
		for _, k := range keys {
			c := r.contender(k)
			if c.Skip != "" {
				ws = append(ws, c.Key+": "+c.Skip)
			} else if len(r.Calls[k]) == 0 {
				ws = append(ws, c.Key+": its runs failed (see Errors)")
			}
		}
		return strings.Join(ws, "; ")
	}
	fr := r.ratio("fsstar", "raw")
	add("fsstar ≥ 0.8× the raw Go handler's calls/s", fr.N > 0, fr.Med >= 0.8,
		orElse(fr.N > 0, fmt.Sprintf("median ratio %.2f× (min %.2f, max %.2f) over %d side-by-side repetitions", fr.Med, fr.Min, fr.Max, fr.N), skipWhy("fsstar", "raw")))
	mr := r.ratio("fsstar", "modesl")
	why := skipWhy("fsstar", "modesl")
	if mr.N > 0 {
		why = fmt.Sprintf("median ratio %.2f× (min %.2f, max %.2f)", mr.Med, mr.Min, mr.Max)
		if fc, mc := r.cpuPerCall("fsstar"), r.cpuPerCall("modesl"); fc > 0 && mc > 0 {
			rm := r.ratio("raw", "modesl").Med
			why += fmt.Sprintf(". Per call, modesl's process burns %.1f× the CPU of fsstar's (%.0f µs against %.0f µs), so on CPU alone the goal holds; but calls/s is a whole-machine figure: on %d cores the simulated switch spends %.0f µs per fsstar call, more than fsstar itself. ", mc/fc, mc, fc, r.Machine.Cores, r.switchCPUPerCall("fsstar"))
			if rm >= 3 {
				why += fmt.Sprintf("Raw Go, the floor for any ESL program, reached %.2f× modesl, so the miss is fsstar's own gap to raw Go (%.2f×); its CPU profile (`-profile`) shows socket reads and writes on top, not Starlark, and fsstar sends one command more per call than raw Go (the orphan-scan mark, see below)", rm, fr.Med)
			} else {
				why += fmt.Sprintf("That leaves a ceiling below 3× modesl for any ESL program: raw Go, the floor, reached %.2f× modesl here", rm)
			}
		}
	}
	add("fsstar ≥ 3× modesl's calls/s", mr.N > 0, mr.Med >= 3, why)
	var worst spread
	var worstN int
	for _, n := range cfg.Park {
		if s := r.parkKiB("fsstar", n); s.N > 0 && s.Med >= worst.Med {
			worst, worstN = s, n
		}
	}
	add("≤ 100 KiB RSS per parked call (fsstar)", worst.N > 0, worst.Med <= 100,
		orElse(worst.N > 0, fmt.Sprintf("worst median %.1f KiB per call, at %d parked calls", worst.Med, worstN), skipWhy("fsstar")))
	xr := httpSpread(r.XML, func(h httpRun) float64 { return h.RPS() })
	xp := httpSpread(r.XML, func(h httpRun) float64 { return msFloat(percentile(h.Lat, 99)) })
	add("xml_fetch ≥ 10,000 req/s with p99 ≤ 5 ms", xr.N > 0, xr.Med >= 10000 && xp.Med <= 5,
		orElse(xr.N > 0, fmt.Sprintf("median %.0f req/s (min %.0f), p99 %.2f ms (per repetition %.2f–%.2f ms); 16 clients on keep-alive connections, on the same %d cores as the server, so p99 is mostly scheduling: it moves with the machine's other load", xr.Med, xr.Min, xp.Med, xp.Min, xp.Max, r.Machine.Cores), orElse(r.HTTPNote != "", r.HTTPNote, "fsstar serve did not run")))
	all := r.reloadAll()
	p99 := percentile(all, 99)
	add("save → reload ≤ 100 ms p99", len(all) > 0, p99 <= 100*time.Millisecond,
		orElse(len(all) > 0, fmt.Sprintf("p99 %s ms over %d saves (p50 %s ms), fsnotify with the loader's 30 ms debounce", ms(p99), len(all), ms(percentile(all, 50))), "no reload measured"))
	for _, g := range r.FS.goals() {
		add(g.Text, g.measured, g.met, g.Why)
	}
	return gs
}

func orElse(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// writeReport writes the markdown report and the plot.
func writeReport(cfg config, r *results) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	rel, err := filepath.Rel(filepath.Dir(cfg.Out), cfg.SVG)
	if err != nil {
		rel = cfg.SVG
	}
	p("# Benchmarks\n\n")
	if cfg.Smoke {
		p("> **Smoke run** (`-smoke`): tiny numbers to prove the harness works. Not a benchmark.\n\n")
	}
	p("fsstar (socket mode and park mode) against a raw Go ESL program and Node modesl on the same calls, in one run on one machine (issues 8 and 14); on a real FreeSWITCH also against mod_lua in the switch and the dialplan alone (no script host).\n")
	p("Every call runs the same flow: answer → playback of a 0 ms tone → set a variable → read it back → hangup.\n")
	p("Ratios matter more than absolute numbers: each row is one run of all contenders side by side, repeated %d times; cells are **median (min–max)** over the repetitions.\n\n", cfg.Repeat)
	p("Produced by:\n\n```\n%s\n```\n\n", strings.TrimSpace("go run ./tests/bench "+strings.Join(cfg.Args, " ")))
	m := r.Machine
	p("Machine: %d cores (%s), %.1f GiB memory (/proc/meminfo), Linux %s, %s, node %s. Run started %s and took %s; the 1-minute load average was %s at the start and %s at the end (a load above the cores the harness keeps busy is other work on the machine).\n\n",
		m.Cores, m.CPU, float64(m.MemTotal)/(1<<30), m.Kernel, m.Go, orElse(m.Node != "", m.Node, "absent"), r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Took.Round(time.Second), m.LoadStart, m.LoadEnd)
	if m.Source != "" {
		p("fsstar was built from %s.\n\n", m.Source)
	}
	p("![calls/s and RSS per parked call](%s)\n\n", filepath.ToSlash(rel))

	p("## Goals\n\n")
	for _, g := range r.goals(cfg) {
		p("- **%s**: %s — %s.\n", g.Status, g.Text, g.Why)
	}
	p("\n")

	p("## Calls per second at saturation\n\n")
	p("%d calls per contender and repetition, %d in flight at once, after a warm-up; in each repetition the contenders run at the same time, each against its own simulated switch, and are driven in %d alternating slices so a burst of background load hits them alike; the simulated switch (esltest) runs in the harness process and places every call into the contender's outbound socket server, which runs as its own process. ", cfg.Calls, cfg.Concurrency, chunks)
	p("*accept → connect* is the time from the switch's TCP connect to the contender's first command (`connect`); *accept → answer* to its first `sendmsg` (execute answer), i.e. how long it takes to start running the script. CPU per call is utime+stime from /proc/<pid>/stat over the window divided by the calls: the contender's process, and the harness process (the simulated switch and the call driver).\n\n")
	p("| contender | calls/s | × raw Go | accept → connect p50 / p99 (ms) | accept → answer p50 / p99 (ms) | CPU/call contender (µs) | CPU/call switch (µs) | failed |\n")
	p("|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Contenders {
		runs := r.Calls[c.Key]
		if c.Skip != "" || len(runs) == 0 {
			p("| %s | not run: %s | | | | | | |\n", c.Name, orElse(c.Skip != "", c.Skip, "every run failed (see Errors)"))
			continue
		}
		var c50, c99, a50, a99, ccpu, scpu []float64
		failed := 0
		for _, x := range runs {
			if len(x.ToConnect) > 0 { // none in park mode
				c50 = append(c50, msFloat(percentile(x.ToConnect, 50)))
				c99 = append(c99, msFloat(percentile(x.ToConnect, 99)))
			}
			if len(x.ToFirstMsg) > 0 {
				a50 = append(a50, msFloat(percentile(x.ToFirstMsg, 50)))
				a99 = append(a99, msFloat(percentile(x.ToFirstMsg, 99)))
			}
			if x.Calls > 0 {
				ccpu = append(ccpu, float64(x.ContenderCPU.Microseconds())/float64(x.Calls))
				scpu = append(scpu, float64(x.SwitchCPU.Microseconds())/float64(x.Calls))
			}
			failed += x.Failed
		}
		ratio := "—"
		if c.Key != "raw" && c.Key != "switch" {
			if s := r.ratio(c.Key, "raw"); s.N > 0 {
				ratio = s.fmtSpread("%.2f")
			}
		} else if c.Key == "raw" {
			ratio = "1"
		}
		p("| %s | %s | %s | %s / %s | %s / %s | %s | %s | %d |\n", c.Name, r.cps(c.Key).fmtSpread("%.0f"), ratio,
			spreadOf(c50).fmtSpread("%.2f"), spreadOf(c99).fmtSpread("%.2f"), spreadOf(a50).fmtSpread("%.2f"), spreadOf(a99).fmtSpread("%.2f"),
			spreadOf(ccpu).fmtSpread("%.0f"), spreadOf(scpu).fmtSpread("%.0f"), failed)
	}
	if s := r.ratio("fsstar", "modesl"); s.N > 0 {
		p("\nfsstar / modesl: %s×.\n", s.fmtSpread("%.2f"))
	}
	if s := r.ratio("fsstar-park", "fsstar"); s.N > 0 {
		p("\nfsstar park mode / socket mode: %s× the calls/s, %s× the simulated switch's CPU per call, %s× fsstar's own CPU per call (per repetition, median (min–max)). ",
			s.fmtSpread("%.2f"), r.perCallRatio("fsstar-park", "fsstar", true).fmtSpread("%.2f"), r.perCallRatio("fsstar-park", "fsstar", false).fmtSpread("%.2f"))
		p("In park mode there is no accept: the simulated switch runs `park` with the app variable set, and fsstar claims the call over its inbound connection (`hash insert_ifempty`, `uuid_setvar_multi`, and `sched_del` when the dialplan set a last-resort timer, then the flow as `sendmsg <uuid>` and `api` commands, and `hash delete_ifmatch` once the call is gone); its *accept → answer* column is CHANNEL_PARK → the answer app. The simulated switch is no FreeSWITCH: what a socket connection or an event costs it is not what it costs a real switch, so the issue's goals are judged on the real switch below.\n")
	}
	p("\n%s\n\n", r.switchNote())

	p("## RSS per concurrent parked call\n\n")
	p("Each contender is started fresh, warmed up with %d calls of the flow, then holds N calls at once: the handler answers and waits until the switch hangs up. RSS is VmRSS of the contender's process from /proc/<pid>/status once every call is answered; per call = (RSS − RSS before the calls) / N.\n\n", 2*cfg.Concurrency)
	p("| contender | parked calls | KiB per call | RSS before (MiB) | RSS with the calls (MiB) |\n|---|---|---|---|---|\n")
	for _, c := range r.Contenders[1:] {
		if c.Skip != "" {
			p("| %s | | not run: %s | | |\n", c.Name, c.Skip)
			continue
		}
		for _, n := range cfg.Park {
			runs := r.Park[c.Key][n]
			var idle, full []float64
			for _, x := range runs {
				idle = append(idle, float64(x.IdleRSS)/(1<<20))
				full = append(full, float64(x.RSS)/(1<<20))
			}
			p("| %s | %d | %s | %s | %s |\n", c.Name, n, r.parkKiB(c.Key, n).fmtSpread("%.1f"), spreadOf(idle).fmtSpread("%.1f"), spreadOf(full).fmtSpread("%.1f"))
		}
	}
	p("\n")

	p("## fsstar's HTTP gateway: xml_fetch and fsapi\n\n")
	if len(r.XML) == 0 {
		p("Not measured: %s.\n\n", orElse(r.HTTPNote != "", r.HTTPNote, "see Errors"))
	} else {
		p("%d requests per window from 16 concurrent keep-alive clients in the harness process to `fsstar serve` on 127.0.0.1 (both on the same %d cores). xml_fetch is mod_xml_curl's form POST to `/xml` (a directory lookup answered by `bench/xml.star`); fsapi is `GET /api/bench.tools?hello` (`bench/tools.star` writes `+OK hello`). Latency is the client's, request sent to body read.\n\n", cfg.HTTPReqs, r.Machine.Cores)
		p("| endpoint | req/s | p50 (ms) | p99 (ms) | CPU/request fsstar (µs) | failed |\n|---|---|---|---|---|---|\n")
		for _, e := range []struct {
			name string
			runs []httpRun
		}{{"xml_fetch (POST /xml)", r.XML}, {"fsapi (GET /api/…)", r.FSAPI}} {
			failed := 0
			for _, h := range e.runs {
				failed += h.Failed
			}
			p("| %s | %s | %s | %s | %s | %d |\n", e.name,
				httpSpread(e.runs, func(h httpRun) float64 { return h.RPS() }).fmtSpread("%.0f"),
				httpSpread(e.runs, func(h httpRun) float64 { return msFloat(percentile(h.Lat, 50)) }).fmtSpread("%.2f"),
				httpSpread(e.runs, func(h httpRun) float64 { return msFloat(percentile(h.Lat, 99)) }).fmtSpread("%.2f"),
				httpSpread(e.runs, func(h httpRun) float64 {
					if h.Requests == 0 {
						return 0
					}
					return float64(h.CPU.Microseconds()) / float64(h.Requests)
				}).fmtSpread("%.0f"), failed)
		}
		p("\n")
	}

	p("## Engine per-call overhead (in process)\n\n")
	p("`engine.Engine.Handler` of a trivial `handler(session, args)` (fresh thread, step limit, print, locals, cancellation, metrics) against the floor, a bare `starlark.Call` of the same frozen function on a fresh `starlark.Thread`; benchmark style (`testing.Benchmark`), no switch.\n\n")
	p("| path | ns/call | allocs/call | bytes/call |\n|---|---|---|---|\n")
	var bn, hn, ba, ha, bb, hb []float64
	for _, e := range r.Engine {
		bn, hn = append(bn, e.BareNs), append(hn, e.HandlerNs)
		ba, ha = append(ba, float64(e.BareAllocs)), append(ha, float64(e.HandlerAllocs))
		bb, hb = append(bb, float64(e.BareBytes)), append(hb, float64(e.HandlerBytes))
	}
	p("| bare starlark.Call | %s | %s | %s |\n", spreadOf(bn).fmtSpread("%.0f"), spreadOf(ba).fmtSpread("%.0f"), spreadOf(bb).fmtSpread("%.0f"))
	p("| engine.Handler | %s | %s | %s |\n", spreadOf(hn).fmtSpread("%.0f"), spreadOf(ha).fmtSpread("%.0f"), spreadOf(hb).fmtSpread("%.0f"))
	if s := spreadOf(hn); s.N > 0 {
		p("\nThe engine adds about %.1f µs per call over the bare call.\n", (s.Med-spreadOf(bn).Med)/1000)
	}
	p("\n")

	p("## Save → reload latency\n\n")
	all := r.reloadAll()
	watch := ""
	if len(r.Reload) > 0 {
		watch = r.Reload[0].Watch
	}
	p("A module is saved %d times per repetition (a new constant each time) in a loader watching its directory (watch mode %s, default 30 ms debounce); latency is from the write to the loader's Reloaded event, i.e. the new version serves new calls. ", cfg.Reloads, watch)
	p("%d saves: p50 %s ms, p99 %s ms, max %s ms.\n\n", len(all), ms(percentile(all, 50)), ms(percentile(all, 99)), ms(percentile(all, 100)))

	writeFS(p, r)

	p("## Profiles\n\n")
	p("`go run ./tests/bench -profile DIR` builds fsstar with `-tags fsstar_pprof` (net/http/pprof on a loopback port named by `FSSTAR_PPROF_LISTEN`; the default build has no pprof) and saves CPU profiles of fsstar during the calls and xml_fetch windows; `-cpuprofile FILE` profiles the harness (the simulated switch); `-fs-perf DIR` records `perf record -a -g` of the whole machine during the first repetition's measured windows of fsstar's socket and park rows and the dialplan row on the real switch (read the switch's share with `perf report --comm freeswitch`). What the profiles led to is in the git log (`git log -- tests/bench`).\n\n")
	p("## How it is measured, and what to keep in mind\n\n")
	p("- The harness (`tests/bench`, a main package, not part of `go test ./...` except its `-smoke` run in `bench_test.go`) builds `cmd/fsstar`, starts each contender as a child process in its own process group (killed with the group on exit, and by the kernel if the harness dies), and talks to it on 127.0.0.1 only. Every loop is bounded by a count and a time budget (`-budget`).\n")
	p("- The simulated switch runs in the harness process rather than in a process of its own: the harness does nothing else while a window runs, so its /proc CPU is the switch's (plus the small call driver), and the switch needs no control channel of its own. It is measured alone first (a raw handler that hangs up at once) so its ceiling is known.\n")
	p("- On %d cores the switch, the contender and the driver share the CPUs: calls/s is a whole-machine figure; CPU per call is the figure that transfers to other machines.\n", r.Machine.Cores)
	p("- fsstar and raw Go subscribe narrowly (`filter Unique-ID` plus the events the call needs) and linger; modesl is used as its README shows (`myevents`, no linger), with one change: `socket.setNoDelay(true)`, because modesl writes each command in several small writes, and with Nagle's algorithm on each command waits for the switch's delayed ACK (`BENCH_MODESL_NAGLE=1` restores it). All three send the same commands for the flow (sendmsg execute with event-lock, `api uuid_setvar`, `getvar`, sendmsg hangup).\n")
	p("- What fsstar's socket and park modes send and receive per call on the real switch is counted in the section \"What crosses the event socket per call\" above (a run with a real switch only).\n")
	p("- The fsstar park handler waits with `freeswitch.msleep`, which the hangup interrupts, so parked calls end with a (logged) script error; that costs nothing while the call is parked.\n\n")
	if fs := r.failures(); fs != "" {
		p("## Errors\n\n%s\n", fs)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Out), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.SVG), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.Out, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(cfg.SVG, []byte(plot(cfg, r)), 0o644)
}

// switchNote tells whether the simulated switch was the bottleneck.
func (r *results) switchNote() string {
	floor := r.cps("switch")
	raw := r.cps("raw")
	if floor.N == 0 || raw.N == 0 {
		return "The simulated switch alone was not measured (see Errors)."
	}
	var busy []float64
	for _, x := range r.Calls["raw"] {
		if x.Elapsed > 0 {
			busy = append(busy, float64(x.ContenderCPU+x.SwitchCPU)/float64(x.Elapsed)/float64(r.Machine.Cores)*100)
		}
	}
	return fmt.Sprintf("The simulated switch alone (a raw handler that hangs up at once: connect, filter, event, linger, one sendmsg, exit) completes %.0f calls/s, %.1f× what it completes with the raw Go flow (%.0f calls/s, four commands more per call), so it is not what limits the contenders' rows. "+
		"During the raw Go windows the switch and the contender together kept %.0f%% of the machine's CPU busy (the rest is the latency of each call's round trips at %d in flight, and the ramp at the start and end of each slice); the switch's own CPU per call is paid in every row alike and is more than the Go contenders' own.",
		floor.Med, floor.Med/raw.Med, raw.Med, spreadOf(busy).Med, r.concurrency)
}
