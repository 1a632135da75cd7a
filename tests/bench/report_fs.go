package main

import (
	"fmt"
	"math"
	"strings"
)

// fsGoal is one of issue 14's goals, measured on the real switch.
type fsGoal struct {
	goal
	measured, met bool
}

// spread is a figure of row key over the repetitions; f returns < 0 for
// a window where the figure was not measured.
func (f fsResult) spread(key string, fig func(fsRow) float64) spread {
	var xs []float64
	for _, w := range f.Runs[key] {
		if v := fig(w); v >= 0 && w.Err == "" {
			xs = append(xs, v)
		}
	}
	return spreadOf(xs)
}

// ratio is fig(a)/fig(b) per repetition: the two windows ran in the same
// repetition, one after the other.
func (f fsResult) ratio(a, b string, fig func(fsRow) float64) spread {
	var xs []float64
	ra, rb := f.Runs[a], f.Runs[b]
	for i := range min(len(ra), len(rb)) {
		x, y := fig(ra[i]), fig(rb[i])
		if ra[i].Err == "" && rb[i].Err == "" && x >= 0 && y > 0 {
			xs = append(xs, x/y)
		}
	}
	return spreadOf(xs)
}

// above is row key's switch CPU per call above the floor (the dialplan
// row's, in the same repetition), per repetition.
func (f fsResult) above(key string) spread {
	var xs []float64
	ra, rf := f.Runs[key], f.Runs[floorKey]
	for i := range min(len(ra), len(rf)) {
		x, y := figSwitch(ra[i]), figSwitch(rf[i])
		if ra[i].Err == "" && rf[i].Err == "" && x >= 0 && y >= 0 {
			xs = append(xs, x-y)
		}
	}
	return spreadOf(xs)
}

// aboveRatio is (a − floor)/(b − floor) of the switch CPU per call, per
// repetition (repetitions where b is not above the floor are left out).
func (f fsResult) aboveRatio(a, b string) spread {
	var xs []float64
	ra, rb, rf := f.Runs[a], f.Runs[b], f.Runs[floorKey]
	for i := range min(len(ra), len(rb), len(rf)) {
		x, y, z := figSwitch(ra[i]), figSwitch(rb[i]), figSwitch(rf[i])
		if ra[i].Err == "" && rb[i].Err == "" && rf[i].Err == "" && x >= 0 && z >= 0 && y > z {
			xs = append(xs, (x-z)/(y-z))
		}
	}
	return spreadOf(xs)
}

// floorKey is the row of the flow run by the dialplan alone: what every
// loopback call costs the switch whoever drives it.
const floorKey = "dialplan"

func figCPS(w fsRow) float64       { return w.CPS() }
func figSwitch(w fsRow) float64    { return w.per(w.SwitchCPU) }
func figContender(w fsRow) float64 { return w.per(w.ContenderCPU) }

// goals are issue 14's "done when" ratios of park mode (one run of the
// harness, every ratio per repetition).
func (f fsResult) goals() []fsGoal {
	why := "FSSTAR_BENCH_FREESWITCH is not set: no real switch"
	if f.Ran {
		why = "not measured (see Errors)"
	}
	var gs []fsGoal
	add := func(text, a, b string, fig func(fsRow) float64, bound float64, atMost bool, what, format string) {
		s := f.ratio(a, b, fig)
		g := fsGoal{goal: goal{Text: text, Why: why}, measured: s.N > 0}
		if s.N > 0 {
			g.met = s.Med >= bound
			if atMost {
				g.met = s.Med <= bound
			}
			g.Why = fmt.Sprintf("median %.2f× (min %.2f, max %.2f) over %d side-by-side repetitions: %s %s against %s", s.Med, s.Min, s.Max, s.N,
				what, f.spread(a, fig).fmtSpread(format), f.spread(b, fig).fmtSpread(format))
		}
		gs = append(gs, g)
	}
	add("park mode's switch CPU per call ≤ 0.6× socket mode's (real switch)", "fsstar-park", "fsstar", figSwitch, 0.6, true, "switch ms per call", "%.2f")
	add("park mode's calls/s ≥ 1.5× socket mode's (real switch)", "fsstar-park", "fsstar", figCPS, 1.5, false, "calls/s", "%.0f")
	add("park mode's calls/s ≥ 0.5× mod_lua's (real switch)", "fsstar-park", "lua", figCPS, 0.5, false, "calls/s", "%.0f")
	add("fsstar's own CPU per call in park mode ≤ socket mode's (real switch)", "fsstar-park", "fsstar", figContender, 1, true, "fsstar ms per call", "%.2f")
	return gs
}

// writeFS writes the real-switch section.
func writeFS(p func(string, ...any), r *results) {
	f := r.FS
	p("## On a real FreeSWITCH\n\n")
	if !f.Ran {
		p("%s.\n\n", strings.TrimSuffix(f.Note, "."))
		return
	}
	loads := spreadOf(f.Loads)
	p("Loopback calls on %s%s, at most %d in flight. Every row runs for a %s warm-up and a measured %s window, with its contender started for its window alone (so no idle listener costs the switch anything in the other rows' windows); the rows run one after the other in a rotating order, and that is repeated %d times, so that a burst of other load on the machine hits them alike. Cells are **median (min–max)** over the repetitions. ",
		f.Addr, orElse(f.Version != "", " ("+f.Version+")", ""), f.Concurrency, f.Warm, f.Window, f.Repeat)
	p("How each row gets its calls (`bgapi originate {origination_uuid=…,bench_run=…,ignore_early_media=true}loopback/<ext> …`, the far end answers and parks):\n\n")
	p("- socket mode, raw Go, modesl: `&socket('<contender> async full')` with `fsstar_app=bench.flow` in the {…} variables.\n")
	p("- park mode: `&park()` with `%s=bench.flow` in the {…} variables, as the socket rows: one application from the originate. The variable is one the tests do not use, so the benchmark's instance claims its own calls and nobody else's; loopback copies {…} variables to the b-leg, and the far end's extension (`bench` in the test switch's `fsstar_test` context) unsets it before it parks. `fsstar serve -park -app-variable %s [-park-connections K]`, ready once /healthz says `park: ready`; the heartbeat and sweep at their defaults.\n", fsAppVar, fsAppVar)
	p("- mod_lua: `&lua(flow.lua)`, the same flow as `bench/flow.star` in Lua (answer, streamFile of the 0 ms tone, setVariable, getVariable, hangup), run by the switch itself.\n")
	p("- dialplan alone: `'&transfer(\\'m:;:answer;playback:\\${bench_tone};set:bench_tmp=fsstar;set:bench_var=\\${bench_tmp};hangup\\' inline)'` with `bench_tone=<tone>` in the {…} variables — the flow with no script host at all (see below). It is the one row that runs several applications, so it enters its inline dialplan through the a-leg's own `&transfer` (each `$` escaped, so it expands when its app runs): one routing pass more than the other rows, which run one application from the originate. Not with `originate … '<apps>' inline`: there the api thread's transfer races the new a-leg's own thread, and the switch loses about 1 call in 3,000–4,000 (the a-leg left in CS_ROUTING with no app, or running the far end's extension).\n\n")
	p("A call counts as completed when the CHANNEL_HANGUP_COMPLETE of its a-leg (by uuid) carries the variable the flow sets; calls/s is the completed calls of the measured window over its length. CPU per call is utime+stime from /proc/<pid>/stat over the measured window divided by its completed calls: the freeswitch process (everything the switch does for the call: both loopback legs, the media, the event socket) and the contender's process (— for mod_lua, which runs inside the switch). ")
	busy := f.switchBusy("")
	p("The 1-minute load average at the windows' starts was %s (%d cores; the switch process alone kept %s of them busy during the measured windows), and other test binaries (`tests.test`, using the same switch) ran during %d of the %d windows. %s\n\n", loads.fmtSpread("%.2f"), f.Cores, busy.fmtSpread("%.2f"), f.Busy, f.Windows, f.Note)
	p("| how the call is driven | calls/s | switch CPU per call (ms) | contender CPU per call (ms) | completed | failed |\n|---|---|---|---|---|---|\n")
	for _, c := range f.Rows {
		if c.Kind == "park" && c.K != 1 {
			continue
		}
		writeFSRow(p, f, c, c.Name)
	}
	p("\n")
	writeFloor(p, f)
	writeWire(p, f)
	p("### Issue 14's goals: park mode against socket mode and mod_lua\n\n")
	p("Each ratio is taken per repetition (the two rows ran minutes apart at most, in the same repetition), then median (min–max):\n\n")
	for _, g := range f.goals() {
		status := "not measured"
		switch {
		case g.measured && g.met:
			status = "met"
		case g.measured:
			status = "NOT met"
		}
		p("- **%s**: %s — %s.\n", status, g.Text, g.Why)
	}
	p("\n")

	var ks []*fsContender
	for _, c := range f.Rows {
		if c.Kind == "park" {
			ks = append(ks, c)
		}
	}
	if len(ks) > 1 {
		p("### Park mode: how many connections (K)\n\n")
		p("`-park-connections K` spreads an instance's calls over K inbound connections (each call is driven by the connection with the fewest calls; a dispatch connection of its own, not counted in K, receives the CHANNEL_PARK of unclaimed calls). Same windows, same rotation, same %d in flight:\n\n", f.Concurrency)
		p("| K | calls/s | switch CPU per call (ms) | fsstar CPU per call (ms) | completed | failed | × socket mode's calls/s | × socket mode's switch CPU per call | × mod_lua's calls/s |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, c := range ks {
			writeFSRow(p, f, c, fmt.Sprint(c.K), "fsstar", "lua")
		}
		p("\n%s\n\n", f.kAdvice(ks))
	}
	var stuck, lost []string
	for _, c := range f.Rows {
		n, l := 0, 0
		for _, w := range f.Runs[c.Key] {
			n += w.NeverRan
			l += w.Lost
		}
		if n > 0 {
			stuck = append(stuck, fmt.Sprintf("%d in %s", n, c.Name))
		}
		if l > 0 {
			lost = append(lost, fmt.Sprintf("%d in %s", l, c.Name))
		}
	}
	if len(stuck) > 0 {
		p("Calls the switch never handed to the contender: %s. Their a-leg either ran no application at all (CS_INIT, CS_ROUTING or CS_CONSUME_MEDIA), or ran the far end's extension itself (answer, park) instead of the originate's dialplan — a race in the switch between the loopback a-leg's own routing and the transfer into the inline dialplan (with the old `originate … '<apps>' inline` form, the switch's log showed `Processing …->park in context fsstar_test` on `loopback/park-a` right after `Transfer loopback/park-a to inline[…]`; `&transfer` closes the first flavour, and the second's window is not known to be closed for certain). Without the app variable, fsstar's mark or the flow's variable, no contender ever had them; the harness hangs them up 20 s after the window, and they count neither completed nor failed.\n\n", strings.Join(stuck, ", "))
	}
	if len(lost) > 0 {
		p("Calls whose channel was gone after the window although no hangup event for them reached the harness (its event queue overflowed, or the switch dropped the event): %s; they count neither completed nor failed.\n\n", strings.Join(lost, ", "))
	}
	if len(f.Errors) > 0 {
		p("Real-switch errors: %s.\n\n", strings.Join(f.Errors, "; "))
	}
}

// writeFloor writes what each row costs the switch above the dialplan
// row (the floor), and what that means for the switch-CPU goal: every
// figure and verdict from the run.
func writeFloor(p func(string, ...any), f fsResult) {
	floor := f.spread(floorKey, figSwitch)
	if floor.N == 0 {
		return
	}
	p("### Above the floor: what driving the call adds to the switch's cost\n\n")
	p("The dialplan row runs the same flow with no script host: `m:;:answer;playback:${bench_tone};set:bench_tmp=fsstar;set:bench_var=${bench_tmp};hangup` as an inline dialplan (the variable read back by expanding it), entered with `&transfer`. What it costs the switch — the loopback call's two channels and their threads, routing, the media, the hangup — every row pays too, but the transfer into the inline dialplan is a routing pass the other rows do not pay: it is a floor for a driver entered the same way, not a lower bound for these rows (mod_lua runs below it). Per repetition each row's switch CPU per call minus the dialplan row's in the same repetition, then median (min–max):\n\n")
	p("| how the call is driven | switch CPU per call (ms) | above the floor (ms) | floor's share of the row's switch CPU |\n|---|---|---|---|\n")
	for _, c := range f.Rows {
		if len(f.Runs[c.Key]) == 0 || c.Kind == "park" && c.K != 1 {
			continue
		}
		share := f.ratio(floorKey, c.Key, figSwitch)
		p("| %s | %s | %s | %s |\n", c.Name, f.spread(c.Key, figSwitch).fmtSpread("%.2f"), orElse(c.Key == floorKey, "(the floor)", f.above(c.Key).fmtSpread("%.2f")), share.fmtSpread("%.2f"))
	}
	tot := f.ratio("fsstar-park", "fsstar", figSwitch)
	abv := f.aboveRatio("fsstar-park", "fsstar")
	best := f.ratio(floorKey, "fsstar", figSwitch)
	bestCPS := f.ratio(floorKey, "fsstar", figCPS)
	sock, park := f.spread("fsstar", figSwitch), f.spread("fsstar-park", figSwitch)
	p("\nPark mode against socket mode, side by side (per repetition): total switch CPU per call %s×, above the floor %s× (%s ms against %s ms per call). ",
		tot.fmtSpread("%.2f"), abv.fmtSpread("%.2f"), f.above("fsstar-park").fmtSpread("%.2f"), f.above("fsstar").fmtSpread("%.2f"))
	if sock.N > 0 && park.N > 0 && sock.Med > floor.Med {
		p("From the medians of the rows instead: (%.2f − %.2f) / (%.2f − %.2f) = %.2f×. ", park.Med, floor.Med, sock.Med, floor.Med, (park.Med-floor.Med)/(sock.Med-floor.Med))
	}
	if above := f.above("fsstar-park"); above.N > 0 && above.Min < 0 {
		p("A row below the floor in some repetition (a negative figure) means the machine's other load changed between the windows of one repetition more than the row's own cost: each figure above the floor is then uncertain by about the floor's own spread (%s ms). ", floor.fmtSpread("%.2f"))
	}
	if best.N > 0 {
		p("A driver that cost the switch nothing above the floor would reach %s× socket mode's switch CPU per call and, at the dialplan row's pace, %s× its calls/s. ", best.fmtSpread("%.2f"), bestCPS.fmtSpread("%.2f"))
		if best.Med > 0.6 {
			p("The dialplan alone, with its extra routing pass, costs %.2f× (median) socket mode's total: a park mode entered through the dialplan (set and park in an extension, with the routing that brings the call there) would not reach ≤ 0.6× on this switch. ", best.Med)
			if park.N > 0 {
				p("Entered as the socket rows' calls are, park mode ran %.2f ms %s that row at the rows' medians, and ≤ 0.6× needs %.2f ms. ", math.Abs(park.Med-floor.Med), orElse(park.Med < floor.Med, "below", "above"), 0.6*sock.Med)
			}
		} else {
			p("So ≤ 0.6× is not ruled out by the floor in the median repetition (%.2f×; the floor alone was above 0.6× socket mode's total in %d of %d repetitions). ", best.Med, countAbove(f, 0.6), best.N)
			if need := 0.6*sock.Med - floor.Med; need > 0 {
				p("At the rows' medians it needs park mode at most %.2f ms per call above the floor, against %.2f ms measured. ", need, park.Med-floor.Med)
			} else {
				p("At the rows' medians, though, the floor alone (%.2f ms) is already above 0.6× socket mode's %.2f ms: the repetitions disagree more than the goal's margin. ", floor.Med, sock.Med)
			}
		}
		if bestCPS.N > 0 && bestCPS.Med < 1.5 {
			p("The dialplan alone, with no script host, made %.2f× (median) of socket mode's calls/s. ", bestCPS.Med)
		}
	}
	p("\n\n")
}

// countAbove counts the repetitions where the floor's switch CPU per call
// was above bound× socket mode's.
func countAbove(f fsResult, bound float64) int {
	n := 0
	rf, rs := f.Runs[floorKey], f.Runs["fsstar"]
	for i := range min(len(rf), len(rs)) {
		x, y := figSwitch(rf[i]), figSwitch(rs[i])
		if rf[i].Err == "" && rs[i].Err == "" && x >= 0 && y > 0 && x/y > bound {
			n++
		}
	}
	return n
}

// writeWire writes what crossed the event sockets per call in the wire
// windows of fsstar's socket and park rows.
func writeWire(p func(string, ...any), f fsResult) {
	keys := []string{}
	var counts []wireCount
	for _, k := range []string{"fsstar", "fsstar-park"} {
		if w, ok := f.Wire[k]; ok && w.Calls > 0 {
			keys = append(keys, k)
			counts = append(counts, w.Wire)
		}
	}
	if len(keys) == 0 {
		return
	}
	names := map[string]string{"fsstar": "socket mode", "fsstar-park": "park mode"}
	p("### What crosses the event socket per call\n\n")
	p("One more window of %s (not among the measured ones) with every event-socket connection of fsstar through a counting proxy in the harness: its inbound connections (for park mode: the dispatch connection, the park connection and the shared one), and in socket mode also each call's outbound connection. Every ESL message is counted in each direction with its bytes, over the measured window, divided by the calls completed in it (", f.Window)
	for i, k := range keys {
		p("%s%s: %d calls", orElse(i > 0, ", ", ""), names[k], f.Wire[k].Calls)
	}
	p("). Per call, count (bytes):\n\n| what | %s |\n|---|%s\n", strings.Join(mapKeys(keys, names), " | "), strings.Repeat("---|", len(keys)))
	cell := func(k string, n, b int) string {
		c := float64(max(f.Wire[k].Calls, 1))
		switch {
		case n == 0:
			return "0"
		case float64(n)/c < 0.005:
			return fmt.Sprintf("%d in the window (%d B)", n, b)
		}
		return fmt.Sprintf("%.2f (%.0f B)", float64(n)/c, float64(b)/c)
	}
	row := func(label string, get func(w wireCount) (int, int)) {
		var cells []string
		for i, k := range keys {
			n, b := get(counts[i])
			cells = append(cells, cell(k, n, b))
		}
		p("| %s | %s |\n", label, strings.Join(cells, " | "))
	}
	isEvent := func(kind string) bool { return strings.HasPrefix(kind, "event ") }
	sum := func(m, bytes map[string]int, keep func(string) bool) (int, int) {
		n, b := 0, 0
		for k, v := range m {
			if keep(k) {
				n += v
				b += bytes[k]
			}
		}
		return n, b
	}
	row("**events from the switch**", func(w wireCount) (int, int) { return sum(w.FromSwitch, w.FromSwitchBytes, isEvent) })
	for _, kind := range wireKinds(true, counts...) {
		if isEvent(kind) {
			row("&nbsp;&nbsp;"+kind, func(w wireCount) (int, int) { return w.FromSwitch[kind], w.FromSwitchBytes[kind] })
		}
	}
	row("**replies from the switch**", func(w wireCount) (int, int) {
		return sum(w.FromSwitch, w.FromSwitchBytes, func(k string) bool { return !isEvent(k) })
	})
	for _, kind := range wireKinds(true, counts...) {
		if !isEvent(kind) {
			row("&nbsp;&nbsp;"+kind, func(w wireCount) (int, int) { return w.FromSwitch[kind], w.FromSwitchBytes[kind] })
		}
	}
	row("**commands to the switch**", func(w wireCount) (int, int) { return total(w.ToSwitch), total(w.ToSwitchBytes) })
	for _, kind := range wireKinds(false, counts...) {
		row("&nbsp;&nbsp;"+kind, func(w wireCount) (int, int) { return w.ToSwitch[kind], w.ToSwitchBytes[kind] })
	}
	var conns []string
	for i, k := range keys {
		conns = append(conns, fmt.Sprintf("%.2f", float64(counts[i].Conns)/float64(max(f.Wire[k].Calls, 1))))
	}
	p("| connections opened | %s |\n\n", strings.Join(conns, " | "))
}

// mapKeys maps each of keys through m.
func mapKeys(keys []string, m map[string]string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// writeFSRow writes one row of a real-switch table; with socket and lua
// (row keys) it adds the row's ratios to them, per repetition.
func writeFSRow(p func(string, ...any), f fsResult, c *fsContender, label string, against ...string) {
	runs := f.Runs[c.Key]
	if c.Skip != "" || len(runs) == 0 {
		p("| %s | not run: %s | | | | |%s\n", label, orElse(c.Skip != "", c.Skip, "every window failed (see Errors)"), strings.Repeat(" |", len(against)+min(len(against), 1)))
		return
	}
	done, failed := 0, 0
	var fail string
	for _, w := range runs {
		done += w.Calls
		failed += w.Failed
		if fail == "" {
			fail = w.FirstFail
		}
	}
	failCell := fmt.Sprint(failed)
	if fail != "" {
		failCell += " (" + fail + ")"
	}
	extra := ""
	if len(against) == 2 {
		extra = fmt.Sprintf(" %s | %s | %s |", f.ratio(c.Key, against[0], figCPS).fmtSpread("%.2f"),
			f.ratio(c.Key, against[0], figSwitch).fmtSpread("%.2f"), f.ratio(c.Key, against[1], figCPS).fmtSpread("%.2f"))
	}
	p("| %s | %s | %s | %s | %d | %s |%s\n", label, f.spread(c.Key, figCPS).fmtSpread("%.0f"),
		f.spread(c.Key, figSwitch).fmtSpread("%.2f"), f.spread(c.Key, figContender).fmtSpread("%.2f"), done, failCell, extra)
}

// switchBusy is the switch process's CPU over the measured windows'
// length (cores kept busy), of row key or of every row ("").
func (f fsResult) switchBusy(key string) spread {
	var xs []float64
	for k, runs := range f.Runs {
		if key != "" && k != key {
			continue
		}
		for _, w := range runs {
			if w.Err == "" && w.Elapsed > 0 && w.SwitchCPU > 0 {
				xs = append(xs, float64(w.SwitchCPU)/float64(w.Elapsed))
			}
		}
	}
	return spreadOf(xs)
}

// kAdvice says what the K rows show: whether more connections bought
// calls/s, in every repetition or in the median, and what that means for
// choosing K.
func (f fsResult) kAdvice(ks []*fsContender) string {
	one := f.spread(ks[0].Key, figCPS)
	if one.N == 0 {
		return "K = 1 was not measured, so there is nothing to compare with."
	}
	var parts []string
	everyRep, bestK, bestMed := 0, 1, 1.0
	for _, c := range ks[1:] {
		s := f.ratio(c.Key, ks[0].Key, figCPS)
		cpu := f.ratio(c.Key, ks[0].Key, figContender)
		if s.N == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("K = %d: %s× the calls/s of K = 1 and %s× its fsstar CPU per call", c.K, s.fmtSpread("%.2f"), cpu.fmtSpread("%.2f")))
		if s.Min > 1.05 {
			everyRep++
		}
		if s.Med > bestMed {
			bestK, bestMed = c.K, s.Med
		}
	}
	out := strings.Join(parts, "; ") + ". "
	busy := f.switchBusy(ks[0].Key)
	if busy.N > 0 {
		out += fmt.Sprintf("With K = 1 the switch process kept %s of the machine's %d cores busy. ", busy.fmtSpread("%.2f"), f.Cores)
	}
	why := "mod_event_socket serves each connection with one thread of the switch, which reads that connection's commands (a byte per read), runs its `api` commands one after the other and serializes every event it sends, so all the calls one connection drives share at most one core of the switch; and in fsstar every event a connection reads is matched against every subscription on that connection (one or more per call), so fewer calls per connection cost fsstar less CPU per call."
	switch {
	case everyRep > 0:
		out += fmt.Sprintf("More connections bought calls/s in every repetition, so one connection is a bound: %s Choose K about the switch's core count (the best median here was K = %d on %d cores); past that more connections buy nothing but one more thread and one more filtered subscription each in the switch.", why, bestK, f.Cores)
	case bestMed >= 1.1:
		out += fmt.Sprintf("K = %d had the best median calls/s (%.2f× K = 1), but not in every repetition: the machine's noise between windows is as large as the gain. Why more connections can help: %s So choose K about the switch's core count (%d here); more than that bought nothing here.", bestK, bestMed, why, f.Cores)
	default:
		out += fmt.Sprintf("More connections bought no calls/s at %d in flight: one connection is not the bound here. Keep K = 1 unless its events lag (fsstar's `esl` queue-overflow warnings, CHANNEL_PARK dispatched late) while the switch still has CPU to spare. Background: %s", f.Concurrency, why)
	}
	return out
}
