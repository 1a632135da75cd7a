package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/internal/testutil"
)

// fsAppVar is the app variable of the park-mode contender on the real
// switch: not fsstar_app (the socket rows set that, and loopback copies it
// to their parked b-legs) nor the tests' fsstar_park_app, so that the
// benchmark's park-mode instance claims its own calls and nobody else's.
const fsAppVar = "fsstar_bench_app"

// luaFlow is the benchmark's flow for mod_lua, run inside the switch
// (`&lua(<file>)`): what bench/flow.star does.
const luaFlow = `-- fsstar benchmark: the flow of tests/bench/scripts/bench/flow.star in mod_lua.
session:answer()
session:streamFile("` + tone + `")
session:setVariable("bench_var", "fsstar")
if session:getVariable("bench_var") ~= "fsstar" then
  freeswitch.consoleLog("err", "bench flow.lua: getVariable: bench_var is not fsstar\n")
end
session:hangup()
`

// dialplanFlow is the benchmark's flow as an inline dialplan (`m:;:`
// makes ';' its separator, the tone has commas): the switch alone runs it,
// no script host. The variable is read back by expanding it into
// bench_var, which the harness checks, so a completed call proves the
// read. The tone comes from the channel variable bench_tone, set in the
// originate's {...} (dialplanTone): &transfer(...) cannot carry its
// parentheses. It enters the inline dialplan with &transfer
// (testutil.InlineApp), a routing pass the other rows (one application from
// the originate) do not pay: its cost is the loopback call, its two legs,
// that routing and the media, with no script host.
const dialplanFlow = "m:;:answer;playback:${bench_tone};set:bench_tmp=fsstar;set:bench_var=${bench_tmp};hangup"

// dialplanTone is the {...} variable that gives dialplanFlow its tone (the
// commas escaped for the dial string).
func dialplanTone() string { return "bench_tone=" + strings.ReplaceAll(tone, ",", `\,`) }

// fsResult is the optional run on a real FreeSWITCH
// (FSSTAR_BENCH_FREESWITCH=host:port).
type fsResult struct {
	Ran         bool
	Addr        string
	Note        string // why it did not run, or what to know
	Window      time.Duration
	Warm        time.Duration
	Concurrency int
	Repeat      int
	SwitchLocal bool   // the switch's CPU was read from /proc
	Version     string // the switch's `version`
	Cores       int    // of this machine
	Rows        []*fsContender
	// Runs holds each row's windows, one per repetition, by row key.
	Runs map[string][]fsRow
	// Wire holds the wire window of fsstar's socket and park rows (K = 1),
	// by row key: their calls through counting proxies (-fs-wire).
	Wire map[string]fsRow
	// Loads are the 1-minute load averages at the start of each window;
	// Busy counts the windows during which other test binaries
	// (tests.test) were running.
	Loads   []float64
	Busy    int
	Windows int
	Errors  []string
}

// fsContender is one row of the real-switch table: how the calls are
// driven.
type fsContender struct {
	Key, Name string
	// Base is the -only key that selects it.
	Base string
	// Kind is socket (the socket app to a contender's outbound server),
	// park (a park-mode fsstar claims the parked call), lua (mod_lua in
	// the switch) or dialplan (the flow as dialplan applications: no
	// script host at all, the floor every other row pays too).
	Kind string
	// K is the park connections of a park row.
	K    int
	Skip string
	// start runs the contender's process, its inbound ESL pointed at
	// eslAddr (the switch, or a wire proxy in front of it); nil for
	// mod_lua and the dialplan.
	start func(ctx context.Context, eslAddr string) (*child, error)
}

// fsRow is one window of one row on the real switch.
type fsRow struct {
	Calls        int // completed with bench_var set by the flow, in the measured part
	Failed       int // ended without it (or the originate failed), in the measured part
	Elapsed      time.Duration
	ContenderCPU time.Duration // 0 for mod_lua
	SwitchCPU    time.Duration // 0 when the switch is not on this machine
	FirstFail    string        // why the first failed call failed
	// NeverRan counts the calls whose a-leg the switch left in CS_INIT or
	// CS_ROUTING without running anything (hung up after the window);
	// Lost the calls whose channel went away without a hangup event
	// reaching the harness.
	NeverRan, Lost int
	Err            string // the window could not be measured
	// Wire is what crossed the contender's event sockets in the measured
	// window (a wire window only; see -fs-wire).
	Wire wireCount
	// Stuck says which calls the contender left up 20 s after the window
	// (hung up by the harness): the window's figures stand, the contender
	// has a bug.
	Stuck string
}

// CPS is completed calls per second.
func (r fsRow) CPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Calls) / r.Elapsed.Seconds()
}

// per returns d per completed call in ms, or -1 when not measured.
func (r fsRow) per(d time.Duration) float64 {
	if r.Calls == 0 || d == 0 {
		return -1
	}
	return float64(d) / 1e6 / float64(r.Calls)
}

// fsRows returns the rows of the real-switch table: fsstar in socket and
// park mode, raw Go, modesl, mod_lua and the dialplan alone, then park
// mode with the other park-connection counts of -park-connections.
func (e *env) fsRows(cfg config, cs []*contender, pw, luaFile string) []*fsContender {
	byKey := map[string]*contender{}
	for _, c := range cs {
		byKey[c.Key] = c
	}
	socket := func(c *contender) *fsContender {
		return &fsContender{Key: c.Key, Name: c.Name, Base: c.Key, Kind: "socket", Skip: c.Skip,
			start: func(ctx context.Context, eslAddr string) (*child, error) { return c.start(ctx, eslAddr) }}
	}
	park := func(k int) *fsContender {
		key, name := "fsstar-park", "fsstar serve, park mode (Starlark)"
		if k != 1 {
			key, name = fmt.Sprintf("fsstar-park-k%d", k), fmt.Sprintf("fsstar serve, park mode, %d connections", k)
		}
		return &fsContender{Key: key, Name: name, Base: "fsstar-park", Kind: "park", K: k, Skip: byKey["fsstar-park"].Skip,
			start: func(ctx context.Context, eslAddr string) (*child, error) {
				return e.startFsstar(ctx, eslAddr, "-esl-password", pw, "-park", "-app-variable", fsAppVar, "-park-connections", strconv.Itoa(k))
			}}
	}
	rows := []*fsContender{socket(byKey["fsstar"]), park(1), socket(byKey["raw"]), socket(byKey["modesl"]),
		{Key: "lua", Name: "mod_lua in the switch", Base: "lua", Kind: "lua"},
		{Key: "dialplan", Name: "dialplan alone (no script host)", Base: "dialplan", Kind: "dialplan"}}
	if luaFile == "" {
		rows[4].Skip = "the Lua script could not be written"
	}
	for _, k := range cfg.ParkK {
		if k != 1 {
			rows = append(rows, park(k))
		}
	}
	return rows
}

// originate is the bgapi originate of one call of row f, run id run, with
// the a-leg's uuid id; addr is the contender's outbound server. Park mode
// and the dialplan row enter their inline dialplan with
// testutil.OriginateInline (&transfer, which the switch does not lose).
func (f *fsContender) originate(ext, run, id, addr, luaFile string) (string, error) {
	vars := "origination_uuid=" + id + ",bench_run=" + run + ",ignore_early_media=true"
	switch f.Kind {
	case "park":
		// As the socket rows: the app variable in the dial string and one
		// application, park, from the originate (no transfer, no dialplan).
		// Loopback copies {...} variables to the b-leg, which parks too:
		// the bench extension drops the variable there first.
		return fmt.Sprintf("originate {%s=%s,%s}loopback/%s &park()", fsAppVar, appFlow, vars, ext), nil
	case "lua":
		return fmt.Sprintf("originate {%s}loopback/%s &lua(%s)", vars, ext, luaFile), nil
	case "dialplan":
		return testutil.OriginateInline("{"+vars+","+dialplanTone()+"}loopback/"+ext, dialplanFlow)
	default:
		return fmt.Sprintf("originate {fsstar_app=%s,%s}loopback/%s &socket('%s async full')", appFlow, vars, ext, addr), nil
	}
}

// runFreeSWITCH places loopback calls on a real switch, at most
// fs-concurrency in flight, for a fixed window per row, every row once
// per repetition in a rotating order (so background load hits them alike):
// each row's contender is started for its window alone. A call counts as
// completed when the CHANNEL_HANGUP_COMPLETE of its a-leg (by uuid) carries
// bench_var=fsstar (the flow ran). The switch's password is ClueCon unless
// FSSTAR_BENCH_FREESWITCH_PASSWORD says otherwise; the extension is
// FSSTAR_BENCH_FREESWITCH_EXT (default bench/fsstar_test, in the test
// switch's context of tools/freeswitch: it drops the park row's app
// variable, answers and parks; another switch's extension must drop
// fsstar_bench_app too, or park mode claims the far ends as well).
func runFreeSWITCH(ctx context.Context, cfg config, e *env, cs []*contender) fsResult {
	addr := os.Getenv("FSSTAR_BENCH_FREESWITCH")
	if addr == "" {
		return fsResult{Note: "Not run: FSSTAR_BENCH_FREESWITCH is not set (no FreeSWITCH on this machine); set it to host:port of a switch's event socket to add this table"}
	}
	res := fsResult{Ran: true, Addr: addr, Window: cfg.FSWindow, Warm: 2 * time.Second, Concurrency: cfg.FSConcurrency,
		Repeat: cfg.Repeat, Runs: map[string][]fsRow{}, Wire: map[string]fsRow{}, Cores: runtime.NumCPU()}
	if cfg.Smoke {
		res.Warm = 500 * time.Millisecond
	}
	pw := os.Getenv("FSSTAR_BENCH_FREESWITCH_PASSWORD")
	if pw == "" {
		pw = "ClueCon"
	}
	ext := os.Getenv("FSSTAR_BENCH_FREESWITCH_EXT")
	if ext == "" {
		ext = "bench/fsstar_test"
	}
	switchPid := localFreeSWITCH(addr)
	res.SwitchLocal = switchPid > 0
	if switchPid == 0 {
		res.Note = "the switch is not on this machine (or its process was not found), so its CPU is not reported"
	}
	luaFile, err := writeLuaFlow()
	if err != nil {
		res.Errors = append(res.Errors, "mod_lua: "+err.Error())
	} else {
		defer os.RemoveAll(filepath.Dir(luaFile))
	}
	res.Rows = e.fsRows(cfg, cs, pw, luaFile)
	for _, f := range res.Rows {
		if f.Skip == "" && len(cfg.Only) > 0 && !cfg.Only[f.Base] {
			f.Skip = "not selected (-only)"
		}
	}

	cl, err := esl.Dial(ctx, addr, esl.WithPassword(pw))
	if err != nil {
		res.Errors = append(res.Errors, fmt.Sprintf("real switch: %v", err))
		return res
	}
	defer cl.Close()
	if out, err := cl.API(ctx, "version"); err == nil {
		res.Version = strings.TrimSpace(out)
	}
	if out, err := cl.API(ctx, "module_exists mod_lua"); err != nil || strings.TrimSpace(out) != "true" {
		for _, f := range res.Rows {
			if f.Kind == "lua" && f.Skip == "" {
				f.Skip = "mod_lua is not loaded in the switch"
			}
		}
	}
	if err := cl.Subscribe(ctx, "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"); err != nil {
		res.Errors = append(res.Errors, fmt.Sprintf("real switch: %v", err))
		return res
	}
	var live []*fsContender
	for _, f := range res.Rows {
		if f.Skip == "" {
			live = append(live, f)
		} else {
			logf("real switch %s: not run: %s", f.Key, f.Skip)
		}
	}
	for rep := range cfg.Repeat {
		k := rep % max(len(live), 1)
		order := slices.Concat(live[k:], live[:k])
		for _, f := range order {
			if ctx.Err() != nil {
				return res
			}
			res.Windows++
			res.Loads = append(res.Loads, loadAvgFloat())
			if othersRunning() {
				res.Busy++
			}
			prof := ""
			if cfg.Profile != "" && rep == 0 && (f.Key == "fsstar" || f.Key == "fsstar-park") {
				prof = filepath.Join(cfg.Profile, f.Key+"-freeswitch.pprof")
			}
			run := fmt.Sprintf("%s-%d-%d", f.Key, rep+1, time.Now().UnixNano()%1e6)
			perf := ""
			if cfg.FSPerf != "" && rep == 0 && (f.Key == "fsstar" || f.Key == "fsstar-park" || f.Key == floorKey) {
				perf = filepath.Join(cfg.FSPerf, f.Key+".perf.data")
			}
			row := fsWindow(ctx, res, cl, f, ext, run, luaFile, switchPid, prof, perf, false)
			logf("real switch %s rep %d: %d calls in %s = %.0f calls/s (failed %d), switch %.2f ms/call, contender %.2f ms/call %s",
				f.Key, rep+1, row.Calls, row.Elapsed.Round(time.Millisecond), row.CPS(), row.Failed, row.per(row.SwitchCPU), row.per(row.ContenderCPU), row.Err+row.Stuck)
			res.Runs[f.Key] = append(res.Runs[f.Key], row)
			for _, e := range []string{row.Err, row.Stuck} {
				if e != "" {
					res.Errors = append(res.Errors, fmt.Sprintf("real switch %s (repetition %d): %s", f.Key, rep+1, e))
				}
			}
		}
	}
	// One more window each for fsstar's socket and park rows with the
	// event sockets through counting proxies: what crosses the wire per
	// call. Not among the measured windows (the proxies cost time).
	for _, f := range live {
		if !cfg.FSWire || ctx.Err() != nil || f.Key != "fsstar" && f.Key != "fsstar-park" {
			continue
		}
		run := fmt.Sprintf("%s-wire-%d", f.Key, time.Now().UnixNano()%1e6)
		row := fsWindow(ctx, res, cl, f, ext, run, luaFile, switchPid, "", "", true)
		logf("real switch %s wire window: %d calls, %d events and %d commands per call", f.Key, row.Calls,
			total(row.Wire.FromSwitch)/max(row.Calls, 1), total(row.Wire.ToSwitch)/max(row.Calls, 1))
		res.Wire[f.Key] = row
		if row.Err != "" {
			res.Errors = append(res.Errors, fmt.Sprintf("real switch %s (wire window): %s", f.Key, row.Err))
		}
	}
	return res
}

// fsWindow runs one window of row f: it starts the contender, places calls
// (at most res.Concurrency in flight) for res.Warm, then measures for
// res.Window, stops placing and waits for the calls in flight to end.
func fsWindow(ctx context.Context, res fsResult, cl *esl.Client, f *fsContender, ext, run, luaFile string, switchPid int, prof, perf string, wire bool) fsRow {
	var row fsRow
	var ch *child
	// With wire, proxies count what crosses the event socket: the
	// contender's inbound connections, and the outbound ones the socket
	// app makes.
	var proxies []*wireProxy
	defer func() {
		for i, p := range proxies {
			if dir := os.Getenv("FSSTAR_BENCH_LOG_DIR"); dir != "" {
				p.writeSamples(filepath.Join(dir, fmt.Sprintf("wire-%s-%d.txt", f.Key, i)))
			}
			p.Close()
		}
	}()
	wireSnap := func() wireCount {
		sum := newWireCount()
		for _, p := range proxies {
			sum = sum.add(p.snapshot())
		}
		return sum
	}
	if f.start != nil {
		eslAddr := res.Addr
		if wire {
			p, err := startWireProxy(res.Addr, false)
			if err != nil {
				row.Err = err.Error()
				return row
			}
			proxies = append(proxies, p)
			eslAddr = p.Addr()
		}
		var err error
		if ch, err = f.start(ctx, eslAddr); err != nil {
			row.Err = err.Error()
			return row
		}
		defer ch.Stop()
	}
	contenderAddr := ""
	if ch != nil {
		contenderAddr = ch.Addr
		if wire && f.Kind == "socket" {
			p, err := startWireProxy(ch.Addr, true)
			if err != nil {
				row.Err = err.Error()
				return row
			}
			proxies = append(proxies, p)
			contenderAddr = p.Addr()
		}
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu        sync.Mutex
		pending   = map[string]bool{} // a-leg uuids of the calls in flight
		placed    atomic.Int64        // calls originated in the whole window (warm-up and drain too)
		completed atomic.Int64
		failed    atomic.Int64
		firstErr  atomic.Value
		placing   atomic.Bool
		placers   sync.WaitGroup
	)
	done := func(id string, ok bool, why string) {
		mu.Lock()
		was := pending[id]
		delete(pending, id)
		mu.Unlock()
		if !was {
			return
		}
		if ok {
			completed.Add(1)
			return
		}
		failed.Add(1)
		firstErr.CompareAndSwap(nil, why)
	}
	inflight := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(pending)
	}
	// Hangups of this window's calls, until the window's context ends.
	hangups := esl.Match{Names: []string{"CHANNEL_HANGUP_COMPLETE"}, Buffer: 65536}
	sub := cl.Listen(hangups)
	go func() {
		defer func() { sub.Close() }()
		for {
			ev, err := sub.Next(wctx)
			if errors.Is(err, esl.ErrOverflow) {
				// Missed hangups: the drain below finds those calls gone.
				sub.Close()
				sub = cl.Listen(hangups)
				continue
			}
			if err != nil {
				return
			}
			if ev.Variable("bench_run") != run {
				continue
			}
			if v := ev.Variable("bench_var"); v == "fsstar" {
				done(ev.UniqueID(), true, "")
			} else {
				done(ev.UniqueID(), false, fmt.Sprintf("call ended (%s) without the flow's bench_var", ev.Get("Hangup-Cause")))
			}
		}
	}()
	placing.Store(true)
	placers.Add(1)
	go func() {
		defer placers.Done()
		for wctx.Err() == nil && placing.Load() {
			if inflight() >= res.Concurrency {
				time.Sleep(time.Millisecond)
				continue
			}
			id := uuid.NewString()
			mu.Lock()
			pending[id] = true
			mu.Unlock()
			placed.Add(1)
			cmd, err := f.originate(ext, run, id, contenderAddr, luaFile)
			if err != nil {
				// A flow &transfer cannot carry: every call would fail
				// so; stop placing.
				done(id, false, err.Error())
				placing.Store(false)
				continue
			}
			job, err := cl.BgAPIAsync(wctx, cmd)
			if err != nil {
				done(id, false, "originate: "+err.Error())
				time.Sleep(10 * time.Millisecond)
				continue
			}
			go func() {
				ev, err := job.Wait(wctx)
				if err == nil && !strings.HasPrefix(string(ev.Body), "+OK") {
					done(id, false, "originate: "+strings.TrimSpace(string(ev.Body)))
				}
			}()
		}
	}()

	sleep := func(d time.Duration) bool {
		select {
		case <-wctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	snap := func() (int64, int64, time.Duration, time.Duration, time.Time) {
		var cpu, sw time.Duration
		if ch != nil {
			cpu, _ = procCPU(ch.Pid())
		}
		if switchPid > 0 {
			sw, _ = procCPU(switchPid)
		}
		return completed.Load(), failed.Load(), cpu, sw, time.Now()
	}
	if !sleep(res.Warm) {
		row.Err = "interrupted"
		return row
	}
	c0, f0, cpu0, sw0, t0 := snap()
	w0 := wireSnap()
	var profDone <-chan struct{}
	if prof != "" && ch != nil {
		profDone = profileDuring(ch, int(min(res.Window, 10*time.Second)/time.Second), prof)
	}
	var perfCmd *exec.Cmd
	if perf != "" {
		// The whole machine for the measured window (perf -p misses the
		// switch's threads that start later, one or more per call).
		perfCmd = exec.CommandContext(ctx, "perf", "record", "-a", "-g", "-e", "cpu-clock", "-F", "499", "-o", perf,
			"--", "sleep", strconv.Itoa(max(int(res.Window/time.Second), 1)))
		if err := perfCmd.Start(); err != nil {
			logf("perf record: %v", err)
			perfCmd = nil
		}
	}
	sleep(res.Window)
	c1, f1, cpu1, sw1, t1 := snap()
	row.Wire = wireSnap().sub(w0)
	placing.Store(false)
	placers.Wait()
	if profDone != nil {
		<-profDone
	}
	if perfCmd != nil {
		if err := perfCmd.Wait(); err != nil {
			logf("perf record: %v", err)
		} else {
			logf("wrote %s (%d calls completed in its window)", perf, c1-c0)
		}
	}
	row.Calls, row.Failed, row.Elapsed = int(c1-c0), int(f1-f0), t1.Sub(t0)
	row.ContenderCPU, row.SwitchCPU = cpu1-cpu0, sw1-sw0
	if v, ok := firstErr.Load().(string); ok && row.Failed > 0 {
		row.FirstFail = v
	}
	if row.Calls == 0 {
		row.Err = fmt.Sprintf("no call completed the flow (%d failed; first: %v): does the extension answer, and does the contender get the call? %s",
			row.Failed, firstErr.Load(), orElse(ch != nil, "contender output: "+tailOf(ch), ""))
	}
	// Let the calls in flight end, so that the next row starts on an idle
	// switch; hang up what is left. A call whose channel is gone although
	// its hangup never reached the harness is dropped as lost.
	left := func() []string {
		mu.Lock()
		defer mu.Unlock()
		ids := make([]string, 0, len(pending))
		for id := range pending {
			ids = append(ids, id)
		}
		return ids
	}
	kctx, kcancel := context.WithTimeout(context.WithoutCancel(ctx), 40*time.Second)
	defer kcancel()
	deadline := time.Now().Add(20 * time.Second)
	for tick := 1; inflight() > 0 && time.Now().Before(deadline) && sleep(50*time.Millisecond); tick++ {
		if tick%20 != 0 {
			continue
		}
		for _, id := range left() {
			if out, err := cl.API(kctx, "uuid_exists "+id); err == nil && strings.TrimSpace(out) == "false" {
				mu.Lock()
				if pending[id] {
					delete(pending, id)
					row.Lost++
				}
				mu.Unlock()
			}
		}
	}
	if ids := left(); len(ids) > 0 {
		never, why := stuckCalls(kctx, cl, ids)
		cl.API(kctx, "hupall NORMAL_CLEARING bench_run "+run)
		row.NeverRan = never
		if n := len(ids) - never; n > 0 {
			row.Stuck = fmt.Sprintf("%d of the %d calls placed (%d completed) still up 20 s after the window, hung up (%s)", n, placed.Load(), completed.Load(), why)
			if ch != nil && ch.HTTP != "" {
				row.Stuck += "; fsstar's counters: " + fsstarCounters(kctx, ch.HTTP)
			}
			if ch != nil {
				row.Stuck += "; contender output: " + ch.tail()
			}
		}
	}
	return row
}

// fsstarCounters returns fsstar's call and park-claim counters from its
// /metrics, for a report on calls it left up.
func fsstarCounters(ctx context.Context, httpAddr string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+httpAddr+"/metrics", nil)
	if err != nil {
		return err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	var keep []string
	for line := range strings.SplitSeq(string(b), "\n") {
		for _, p := range []string{"fsstar_calls_total", "fsstar_park_claims_total", "fsstar_on_error_total", "fsstar_script_errors_total", "fsstar_active_calls"} {
			if strings.HasPrefix(line, p) {
				keep = append(keep, line)
			}
		}
	}
	return strings.Join(keep, ", ")
}

// stuckCalls looks at calls still up after their window: it returns how
// many the switch never handed to the contender (the a-leg running no
// application, or parked by the far end's extension
// instead of the originate's dialplan, with neither the park-mode app
// variable, nor fsstar's mark, nor the flow's variable) and where the
// others stand (state, application, park-mode marks, claim). With
// FSSTAR_BENCH_LOG_DIR set it writes each call's uuid_dump there.
func stuckCalls(ctx context.Context, cl *esl.Client, ids []string) (never int, why string) {
	var out []string
	for _, id := range ids {
		dump, err := cl.API(ctx, "uuid_dump "+id+" json")
		var m map[string]string
		if err != nil || json.Unmarshal([]byte(dump), &m) != nil {
			never++ // gone by now: not the contender's
			continue
		}
		if dir := os.Getenv("FSSTAR_BENCH_LOG_DIR"); dir != "" {
			os.WriteFile(filepath.Join(dir, "stuck-"+id+".json"), []byte(dump), 0o644)
		}
		mine := m["variable_"+fsAppVar] != "" || m["variable_fsstar_slot"] != "" || m["variable_bench_var"] != ""
		switch app := m["variable_current_application"]; {
		case mine:
		case app == "": // CS_INIT, CS_ROUTING, CS_CONSUME_MEDIA: nothing ran
			never++
			continue
		case app == "park":
			// The loopback a-leg routed its own destination (the far end's
			// extension: answer, park) instead of the originate's
			// dialplan: a race in the switch between loopback's routing
			// and originate's transfer (its log: "Processing ...->park in
			// context fsstar_test" after "Transfer loopback/park-a to
			// inline[...]"). No contender ever had the call.
			never++
			continue
		}
		if len(out) < 3 {
			claim, _ := cl.API(ctx, "hash select/fsstar/"+id)
			out = append(out, fmt.Sprintf("%s (%s, other leg %s): %s %s app %q, %s=%q fsstar_slot=%q fsstar_instance=%q bench_var=%q, claim %q", id,
				m["Channel-Name"], m["Other-Leg-Unique-ID"]+m["variable_other_loopback_leg_uuid"], m["Channel-State"], m["Answer-State"],
				m["variable_current_application"], fsAppVar, m["variable_"+fsAppVar], m["variable_fsstar_slot"], m["variable_fsstar_instance"],
				m["variable_bench_var"], strings.TrimSpace(claim)))
		}
	}
	return never, strings.Join(out, "; ")
}

// tailOf is c's last output lines, "" for nil.
func tailOf(c *child) string {
	if c == nil {
		return ""
	}
	return c.tail()
}

// writeLuaFlow writes luaFlow into a new directory the switch's process can
// read (0755, the file 0644) and returns the file's path.
func writeLuaFlow() (string, error) {
	dir, err := os.MkdirTemp("", "fsstar-bench-lua-")
	if err != nil {
		return "", fmt.Errorf("lua flow: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", fmt.Errorf("lua flow: %w", err)
	}
	path := filepath.Join(dir, "flow.lua")
	if err := os.WriteFile(path, []byte(luaFlow), 0o644); err != nil {
		return "", fmt.Errorf("lua flow: %w", err)
	}
	return path, nil
}

// othersRunning reports whether a Go test binary of this repository's
// tests package (tests.test, the differential suite) runs on the machine:
// it shares the switch and the CPUs.
func othersRunning() bool {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/comm"); err == nil && strings.TrimSpace(string(b)) == "tests.test" {
			return true
		}
	}
	return false
}

// loadAvgFloat is loadAvg as a number (-1 when unknown).
func loadAvgFloat() float64 {
	v, err := strconv.ParseFloat(loadAvg(), 64)
	if err != nil {
		return -1
	}
	return v
}

// localFreeSWITCH returns the pid of a freeswitch process on this machine
// when addr is a loopback address, else 0.
func localFreeSWITCH(addr string) int {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return 0
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/comm"); err == nil && strings.TrimSpace(string(b)) == "freeswitch" {
			return pid
		}
	}
	return 0
}

// nodeVersion returns `node --version`, or "" without node.
func nodeVersion(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
