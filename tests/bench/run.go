package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl/esltest"
)

// results is everything one run measured.
type results struct {
	Machine     Machine
	Started     time.Time
	Took        time.Duration
	Contenders  []*contender
	Calls       map[string][]callRun         // by contender key, one per repetition
	Park        map[string]map[int][]parkRun // by key, then parked calls
	XML, FSAPI  []httpRun
	HTTPNote    string
	Engine      []engineResult
	Reload      []reloadRun
	FS          fsResult
	concurrency int
	Errors      []string // measurements that could not be made
}

// failures sums up what went wrong, "" when nothing did.
func (r *results) failures() string {
	var bad []string
	bad = append(bad, r.Errors...)
	bad = append(bad, r.FS.Errors...)
	for k, runs := range r.Calls {
		for _, c := range runs {
			if c.Failed > 0 {
				bad = append(bad, fmt.Sprintf("%s: %d calls failed (%s)", k, c.Failed, c.FirstError))
			}
		}
	}
	for k, m := range r.Park {
		for n, runs := range m {
			for _, p := range runs {
				if p.Err != "" {
					bad = append(bad, fmt.Sprintf("%s park %d: %s", k, n, p.Err))
				}
			}
		}
	}
	for _, h := range append(append([]httpRun(nil), r.XML...), r.FSAPI...) {
		if h.Failed > 0 {
			bad = append(bad, fmt.Sprintf("http: %d requests failed (%s)", h.Failed, h.Err))
		}
	}
	return strings.Join(bad, "; ")
}

func run(ctx context.Context, cfg config) (*results, error) {
	res := &results{concurrency: cfg.Concurrency, Machine: machine(), Started: time.Now(), Calls: map[string][]callRun{}, Park: map[string]map[int][]parkRun{}}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "fsstar-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	e := &env{root: root, self: self, work: work,
		scripts: filepath.Join(root, "tests", "bench", "scripts"),
		nodeDir: filepath.Join(root, "tests", "bench", "node")}
	logf("building cmd/fsstar")
	if cfg.Profile != "" {
		if err := os.MkdirAll(cfg.Profile, 0o755); err != nil {
			return nil, err
		}
		e.profile = cfg.Profile
	}
	if e.fsstar, err = buildFsstar(ctx, root, work, cfg.Profile != ""); err != nil {
		res.Errors = append(res.Errors, "fsstar: "+err.Error())
	}
	res.Machine.Node = nodeVersion(ctx)
	res.Machine.Source = sourceOf(ctx, root)
	cs := e.contenders(ctx)
	for _, c := range cs {
		if len(cfg.Only) > 0 && !cfg.Only[c.Key] {
			c.Skip = "not selected (-only)"
		}
		if c.Skip != "" {
			logf("%s: not run: %s", c.Key, c.Skip)
		}
	}
	res.Contenders = cs

	maxPark := 0
	for _, n := range cfg.Park {
		maxPark = max(maxPark, n)
	}
	newSwitch := func() (*esltest.Switch, error) {
		return esltest.New(esltest.WithMaxChannels(maxPark + 2*cfg.Concurrency + 100))
	}

	for rep := range cfg.Repeat {
		if cfg.FSOnly {
			res.HTTPNote = "skipped (-fs-only)"
			break
		}
		// The switch alone first, then the contenders interleaved.
		if cs[0].Skip == "" && ctx.Err() == nil {
			r, err := measureCalls(ctx, cfg, []*contender{cs[0]}, newSwitch, "")
			if err != nil {
				res.Errors = append(res.Errors, fmt.Sprintf("%s calls (repetition %d): %v", cs[0].Key, rep+1, err))
			} else {
				res.Calls[cs[0].Key] = append(res.Calls[cs[0].Key], r[0])
			}
		}
		var live []*contender
		for _, c := range cs[1:] {
			if c.Skip == "" {
				live = append(live, c)
			}
		}
		// Rotate the order so no contender always runs first.
		for range rep {
			if len(live) > 1 {
				live = append(live[1:], live[0])
			}
		}
		if len(live) > 0 && ctx.Err() == nil {
			prof := ""
			if cfg.Profile != "" && rep == 0 {
				prof = filepath.Join(cfg.Profile, "fsstar-calls.pprof")
			}
			runs, err := measureCalls(ctx, cfg, live, newSwitch, prof)
			if err != nil {
				res.Errors = append(res.Errors, fmt.Sprintf("calls (repetition %d): %v", rep+1, err))
			} else {
				for i, c := range live {
					res.Calls[c.Key] = append(res.Calls[c.Key], runs[i])
				}
			}
		}
		for _, c := range cs {
			if rs := res.Calls[c.Key]; len(rs) == rep+1 {
				r := rs[rep]
				logf("%s rep %d: %d calls in %s = %.0f calls/s (failed %d), p50 accept → answer %s", c.Key, rep+1, r.Calls, r.Elapsed.Round(time.Millisecond), r.CPS(), r.Failed, percentile(r.ToFirstMsg, 50))
			}
		}
		for _, c := range cs[1:] {
			for _, n := range cfg.Park {
				if c.Skip != "" || ctx.Err() != nil {
					continue
				}
				p, err := measurePark(ctx, cfg, c, n, newSwitch)
				if err != nil {
					res.Errors = append(res.Errors, fmt.Sprintf("%s park %d (repetition %d): %v", c.Key, n, rep+1, err))
					continue
				}
				logf("%s rep %d: %d parked calls, RSS %d KiB → %d KiB = %.1f KiB per call (%s)", c.Key, rep+1, p.Parked, p.IdleRSS>>10, p.RSS>>10, float64(p.PerCall)/1024, p.Err)
				if res.Park[c.Key] == nil {
					res.Park[c.Key] = map[int][]parkRun{}
				}
				res.Park[c.Key][n] = append(res.Park[c.Key][n], p)
			}
		}
		if cs[1].Skip == "" && ctx.Err() == nil {
			x, f, err := measureHTTP(ctx, cfg, e, newSwitch)
			if err != nil {
				res.Errors = append(res.Errors, fmt.Sprintf("http (repetition %d): %v", rep+1, err))
			} else {
				logf("http rep %d: xml_fetch %.0f req/s p99 %s; fsapi %.0f req/s p99 %s", rep+1, x.RPS(), percentile(x.Lat, 99), f.RPS(), percentile(f.Lat, 99))
				res.XML, res.FSAPI = append(res.XML, x), append(res.FSAPI, f)
			}
		} else if cs[1].Skip != "" {
			res.HTTPNote = "fsstar serve did not run: " + cs[1].Skip
		}
		if ctx.Err() != nil {
			break
		}
		eng := measureEngine(cfg.Smoke)
		logf("engine rep %d: Handler %.0f ns/call (bare Starlark call %.0f ns)", rep+1, eng.HandlerNs, eng.BareNs)
		res.Engine = append(res.Engine, eng)
		if eng.Err != "" {
			res.Errors = append(res.Errors, "engine: "+eng.Err)
		}
		rl := measureReload(cfg.Reloads)
		logf("reload rep %d: p50 %s p99 %s (missed %d)", rep+1, percentile(rl.Lat, 50), percentile(rl.Lat, 99), rl.Missed)
		res.Reload = append(res.Reload, rl)
		if rl.Err != "" || rl.Missed > 0 {
			res.Errors = append(res.Errors, fmt.Sprintf("reload: %d saves not seen; %s", rl.Missed, rl.Err))
		}
	}
	res.FS = runFreeSWITCH(ctx, cfg, e, cs)
	if ctx.Err() != nil {
		res.Errors = append(res.Errors, "interrupted: "+ctx.Err().Error())
	}
	res.Took = time.Since(res.Started)
	res.Machine.LoadEnd = loadAvg()
	return res, nil
}

// chunks is how many slices each contender's calls are cut into; the
// slices of all contenders alternate, so a burst of background load on
// the machine hits every contender alike instead of one of them.
const chunks = 6

// measureCalls starts every contender, each against its own fresh
// simulated switch, warms them up, then measures cfg.Calls calls of each
// in interleaved slices; the returned runs sum the slices per contender.
// With profile set (a file in the profile directory), the CPU profiles of
// the fsstar contenders (<key>-calls.pprof) are taken during their first
// slice.
func measureCalls(ctx context.Context, cfg config, cs []*contender, newSwitch func() (*esltest.Switch, error), profile string) ([]callRun, error) {
	sws := make([]*esltest.Switch, len(cs))
	kids := make([]*child, len(cs))
	defer func() {
		for i := range cs {
			if kids[i] != nil {
				kids[i].Stop()
			}
			if sws[i] != nil {
				sws[i].Close()
			}
		}
	}()
	for i, c := range cs {
		sw, err := newSwitch()
		if err != nil {
			return nil, err
		}
		sws[i] = sw
		ch, err := c.start(ctx, sw.Addr())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Key, err)
		}
		kids[i] = ch
		warm := max(cfg.Calls/10, cfg.Concurrency)
		if w := placeCalls(ctx, sw, ch.Addr, c.Park, c.App, warm, cfg.Concurrency, cfg.Budget, ch.Pid()); w.Failed > 0 {
			return nil, fmt.Errorf("%s warm-up: %d of %d calls failed: %s (output: %s)", c.Key, w.Failed, warm, w.FirstError, ch.tail())
		}
	}
	runs := make([]callRun, len(cs))
	for k := range chunks {
		for i, c := range cs {
			n := cfg.Calls / chunks
			if k == chunks-1 {
				n = cfg.Calls - n*(chunks-1)
			}
			runtime.GC()
			prof := ""
			if k == 0 && (c.Key == "fsstar" || c.Key == "fsstar-park") && profile != "" {
				prof = filepath.Join(filepath.Dir(profile), c.Key+"-calls.pprof")
			}
			profDone := profileDuring(kids[i], 1, prof)
			r := placeCalls(ctx, sws[i], kids[i].Addr, c.Park, c.App, n, cfg.Concurrency, cfg.Budget/chunks, kids[i].Pid())
			<-profDone
			runs[i].add(r)
			if !kids[i].Alive() {
				return nil, fmt.Errorf("%s exited during the run: %s", c.Key, kids[i].tail())
			}
		}
	}
	return runs, nil
}

// measurePark starts the contender fresh, warms it up with a few calls of
// the flow and measures the RSS of n parked calls.
func measurePark(ctx context.Context, cfg config, c *contender, n int, newSwitch func() (*esltest.Switch, error)) (parkRun, error) {
	sw, err := newSwitch()
	if err != nil {
		return parkRun{}, err
	}
	defer sw.Close()
	ch, err := c.start(ctx, sw.Addr())
	if err != nil {
		return parkRun{}, err
	}
	defer ch.Stop()
	if w := placeCalls(ctx, sw, ch.Addr, c.Park, appFlow, 2*cfg.Concurrency, cfg.Concurrency, cfg.Budget, ch.Pid()); w.Failed > 0 {
		return parkRun{}, fmt.Errorf("warm-up: %s", w.FirstError)
	}
	time.Sleep(300 * time.Millisecond)
	p := parkCalls(ctx, sw, ch.Addr, c.Park, n, cfg.Concurrency, cfg.Budget, ch.Pid())
	if !ch.Alive() {
		p.Err = fmt.Sprintf("%s exited: %s", c.Key, ch.tail())
	}
	return p, nil
}

// measureHTTP runs xml_fetch and fsapi windows against fsstar serve's HTTP
// gateway.
func measureHTTP(ctx context.Context, cfg config, e *env, newSwitch func() (*esltest.Switch, error)) (xml, fsapi httpRun, err error) {
	sw, err := newSwitch()
	if err != nil {
		return xml, fsapi, err
	}
	defer sw.Close()
	ch, err := e.startFsstar(ctx, sw.Addr())
	if err != nil {
		return xml, fsapi, err
	}
	defer ch.Stop()
	conc := 16
	form := "hostname=vm&section=directory&tag_name=domain&key_name=name&key_value=bench&Event-Name=REQUEST_PARAMS&action=sip_auth&user=1000&domain=bench"
	isDoc := func(b string) bool { return strings.Contains(b, `<user id="1000">`) }
	isOK := func(b string) bool { return b == "+OK hello" }
	// warm up both
	httpLoad(ctx, "http://"+ch.HTTP+"/xml", form, 500, conc, cfg.Budget, ch.Pid(), isDoc)
	httpLoad(ctx, "http://"+ch.HTTP+"/api/bench.tools?hello", "", 500, conc, cfg.Budget, ch.Pid(), isOK)
	prof := ""
	if e.profile != "" {
		prof = filepath.Join(e.profile, "fsstar-xml_fetch.pprof")
	}
	profDone := profileDuring(ch, 1, prof)
	xml = httpLoad(ctx, "http://"+ch.HTTP+"/xml", form, cfg.HTTPReqs, conc, cfg.Budget, ch.Pid(), isDoc)
	<-profDone
	fsapi = httpLoad(ctx, "http://"+ch.HTTP+"/api/bench.tools?hello", "", cfg.HTTPReqs, conc, cfg.Budget, ch.Pid(), isOK)
	return xml, fsapi, nil
}
