package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsstar/fsstar/esl/esltest"
)

// callRun is one saturation window of one contender: calls placed by the
// simulated switch, concurrency at a time, until all completed or the
// time budget ran out.
type callRun struct {
	Calls   int // completed with the expected flow
	Failed  int // placed but wrong result (hangup cause, missing app or variable), or timed out
	Elapsed time.Duration
	// ToConnect is accept → "connect"; ToFirstMsg is accept → the first
	// sendmsg (execute answer): how long the contender takes to start
	// working on a call. In park mode there is no accept: ToConnect stays
	// empty and ToFirstMsg is CHANNEL_PARK → the answer app.
	ToConnect, ToFirstMsg []time.Duration
	// CPU used during the window by the contender process and by the
	// harness process (the simulated switch and the call driver).
	ContenderCPU, SwitchCPU time.Duration
	FirstError              string
}

// add sums another window of the same contender into r.
func (r *callRun) add(o callRun) {
	r.Calls += o.Calls
	r.Failed += o.Failed
	r.Elapsed += o.Elapsed
	r.ToConnect = append(r.ToConnect, o.ToConnect...)
	r.ToFirstMsg = append(r.ToFirstMsg, o.ToFirstMsg...)
	r.ContenderCPU += o.ContenderCPU
	r.SwitchCPU += o.SwitchCPU
	if r.FirstError == "" {
		r.FirstError = o.FirstError
	}
}

// CPS is completed calls per second.
func (r callRun) CPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Calls) / r.Elapsed.Seconds()
}

// placeCall makes one call of the simulated switch for app: into the
// outbound socket server at addr, or, with park, parked with the app
// variable set for a park-mode contender (addr unused). For a parked call
// answered, when not nil, gets the time the answer app started.
func placeCall(ctx context.Context, sw *esltest.Switch, addr string, park bool, vars map[string]string, answered chan<- time.Time) (*esltest.Channel, error) {
	if !park {
		return sw.PlaceCall(ctx, addr, vars)
	}
	ch, err := sw.ParkCall(ctx, vars, nil)
	if err == nil && answered != nil {
		ch.WhenApp("answer", func() {
			select {
			case answered <- time.Now():
			default:
			}
		})
	}
	return ch, err
}

// placeCalls runs calls calls of app through addr (or parked, with park)
// with concurrency workers, bounded by budget; pid is the contender's
// process for CPU.
func placeCalls(ctx context.Context, sw *esltest.Switch, addr string, park bool, app string, calls, concurrency int, budget time.Duration, pid int) callRun {
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var (
		next    atomic.Int64
		mu      sync.Mutex
		r       callRun
		wg      sync.WaitGroup
		vars    = map[string]string{"fsstar_app": app}
		perCall = 10 * time.Second
	)
	fail := func(err string) {
		mu.Lock()
		r.Failed++
		if r.FirstError == "" {
			r.FirstError = err
		}
		mu.Unlock()
	}
	cpu0, _ := procCPU(pid)
	sw0, _ := procCPU(0)
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && int(next.Add(1)) <= calls {
				cctx, ccancel := context.WithTimeout(ctx, perCall)
				answered := make(chan time.Time, 1)
				ch, err := placeCall(cctx, sw, addr, park, vars, answered)
				parkedAt := time.Now()
				if err != nil {
					ccancel()
					fail(err.Error())
					continue
				}
				cause, err := ch.WaitHangup(cctx)
				ccancel()
				if err != nil {
					ch.Hangup("")
					fail(fmt.Sprintf("call %s did not end: %v", ch.UUID(), err))
					continue
				}
				if msg := checkFlow(ch, app, cause); msg != "" {
					fail(msg)
					continue
				}
				st := ch.SocketTiming()
				mu.Lock()
				r.Calls++
				switch {
				case park:
					select {
					case at := <-answered:
						r.ToFirstMsg = append(r.ToFirstMsg, at.Sub(parkedAt))
					default:
					}
				default:
					r.ToConnect = append(r.ToConnect, st.FirstCommand.Sub(st.Connected))
					if !st.FirstSendMsg.IsZero() {
						r.ToFirstMsg = append(r.ToFirstMsg, st.FirstSendMsg.Sub(st.Connected))
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.Elapsed = time.Since(start)
	cpu1, _ := procCPU(pid)
	sw1, _ := procCPU(0)
	r.ContenderCPU, r.SwitchCPU = cpu1-cpu0, sw1-sw0
	return r
}

// checkFlow tells what is wrong with a finished call, "" when it ran the
// flow of app.
func checkFlow(ch *esltest.Channel, app, cause string) string {
	if cause != "NORMAL_CLEARING" {
		return fmt.Sprintf("call %s: hangup cause %q", ch.UUID(), cause)
	}
	if app != appFlow {
		return ""
	}
	var answered, played bool
	for _, a := range ch.Apps() {
		answered = answered || a.Name == "answer"
		played = played || a.Name == "playback" && a.Arg == tone
	}
	if !answered || !played {
		return fmt.Sprintf("call %s: apps %v, want answer and playback", ch.UUID(), ch.Apps())
	}
	if v := ch.Var("bench_var"); v != "fsstar" {
		return fmt.Sprintf("call %s: bench_var = %q, want fsstar", ch.UUID(), v)
	}
	return ""
}

// parkRun is the memory of one contender holding n answered calls.
type parkRun struct {
	N        int
	Parked   int // calls answered and still up when RSS was read
	IdleRSS  int64
	RSS      int64
	PerCall  int64 // (RSS-IdleRSS)/Parked bytes
	Duration time.Duration
	Err      string
}

// parkCalls places n calls of appPark (through addr, or parked for a
// park-mode contender), waits until every one is answered (the contender
// is holding it), reads the contender's VmRSS, then hangs them all up and
// waits until the switch is idle.
func parkCalls(ctx context.Context, sw *esltest.Switch, addr string, park bool, n, concurrency int, budget time.Duration, pid int) parkRun {
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	r := parkRun{N: n}
	start := time.Now()
	r.IdleRSS, _ = procRSS(pid)
	var (
		mu    sync.Mutex
		chans []*esltest.Channel
		next  atomic.Int64
		wg    sync.WaitGroup
		vars  = map[string]string{"fsstar_app": appPark}
	)
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && int(next.Add(1)) <= n {
				ch, err := placeCall(ctx, sw, addr, park, vars, nil)
				mu.Lock()
				if err != nil {
					if r.Err == "" {
						r.Err = err.Error()
					}
				} else {
					chans = append(chans, ch)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// Wait until every call is answered, bounded by the budget.
	for ctx.Err() == nil {
		answered := 0
		for _, ch := range chans {
			if ch.Answered() {
				answered++
			}
		}
		if answered == len(chans) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let the contender settle
	r.RSS, _ = procRSS(pid)
	for _, ch := range chans {
		if ch.Answered() && ch.HangupCause() == "" {
			r.Parked++
		}
	}
	if r.Parked > 0 {
		r.PerCall = (r.RSS - r.IdleRSS) / int64(r.Parked)
	}
	if r.Parked < n && r.Err == "" {
		r.Err = fmt.Sprintf("only %d of %d calls parked", r.Parked, n)
	}
	for _, ch := range chans {
		ch.Hangup("NORMAL_CLEARING")
	}
	ictx, icancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer icancel()
	if err := sw.WaitIdle(ictx); err != nil && r.Err == "" {
		r.Err = "switch not idle after hangup: " + err.Error()
	}
	r.Duration = time.Since(start)
	return r
}

// percentile returns the p-th percentile (0..100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p/100*float64(len(s))+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return s[i]
}
