package tests

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/internal/testutil"
)

// parkAppVar is the app variable of this test process's park-mode
// services: not fsstar_app, so that the b-legs of socket calls, which
// inherit fsstar_app through loopback and park in the far end's extension,
// are not taken for calls; and its own, so that the park-mode services of
// another test process on the same switch do not claim this one's calls.
var parkAppVar = "fsstar_park_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")

// parkCall originates a loopback call on the real switch whose a-leg runs
// the park-mode dialplan inline: it sets the module (and the last-resort
// timer, before) and parks. vars go in the originate's {...}.
func parkCall(ctx context.Context, c *esl.Client, id, module, before, vars string) (*esl.Job, error) {
	inline := "set:" + parkAppVar + "=" + module + ","
	if before != "" {
		inline += before + ","
	}
	inline += "park"
	v := "origination_uuid=" + id
	if vars != "" {
		v += "," + vars
	}
	cmd, err := originateInline("{"+v+"}loopback/"+parkExt(), inline)
	if err != nil {
		return nil, err
	}
	return c.BgAPIAsync(ctx, cmd)
}

// originateInline is the originate api command that sends the new channel
// of dial into the inline dialplan apps: testutil.OriginateInline, which
// says why it is `&transfer('<apps>' inline)` and not `'<apps>' inline` (the
// switch loses about 1 call in 4,000 that way).
func originateInline(dial, apps string) (string, error) {
	return testutil.OriginateInline(dial, apps)
}

// hangups collects the CHANNEL_HANGUP_COMPLETE of the calls in ids.
type hangups struct {
	mu  sync.Mutex
	evs map[string]*esl.Event
}

func collectHangups(ctx context.Context, c *esl.Client) *hangups {
	h := &hangups{evs: map[string]*esl.Event{}}
	sub := c.Listen(esl.Match{Names: []string{"CHANNEL_HANGUP_COMPLETE"}, Buffer: 65536})
	go func() {
		for {
			ev, err := sub.Next(ctx)
			if err != nil {
				return
			}
			h.mu.Lock()
			h.evs[ev.UniqueID()] = ev
			h.mu.Unlock()
		}
	}()
	return h
}

func (h *hangups) get(id string) *esl.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.evs[id]
}

// wait waits until every call in ids hung up, or ctx ends.
func (h *hangups) wait(ctx context.Context, ids []string) bool {
	for {
		n := 0
		for _, id := range ids {
			if h.get(id) != nil {
				n++
			}
		}
		if n == len(ids) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestParkFreeSWITCH runs a call in park mode on the real switch: the
// module and its args, variables read back unexpanded, and the dialplan's
// last-resort timer (sched_transfer before park, to an extension that does
// not exist) cancelled by the claim, so the call outlives it.
func TestParkFreeSWITCH(t *testing.T) {
	addr, pw := realSwitch(t)
	s := startService(t, addr, pw, "-park", "-app-variable", parkAppVar, "-heartbeat-interval", "500ms")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dialSwitch(ctx, t, addr, pw)
	if err := c.Subscribe(ctx, "CHANNEL_HANGUP_COMPLETE"); err != nil {
		t.Fatal(err)
	}
	h := collectHangups(ctx, c)
	id := uuid.NewString()
	if _, err := parkCall(ctx, c, id, "e2e.park 2500", "sched_transfer:+1 fsstar_no_such_ext XML fsstar_test", "park_in=hello"); err != nil {
		t.Fatal(err)
	}
	if !h.wait(ctx, []string{id}) {
		t.Fatalf("the call did not end\n%s", s.logs)
	}
	ev := h.get(id)
	if got := ev.Get("Hangup-Cause"); got != "NORMAL_CLEARING" {
		t.Errorf("hangup cause %q, want NORMAL_CLEARING (the script's, after the cancelled 1 s sched_transfer)", got)
	}
	if got := ev.Variable("fsstar_runs"); got != "1" {
		t.Errorf("fsstar_runs = %q, want the script run once", got)
	}
	if got, want := ev.Variable("park_seen"), ev.Variable("park_in"); got != want || want == "" {
		t.Errorf("park_seen = %q, want %q", got, want)
	}
	if got := metric(t, s, `fsstar_park_claims_total{outcome="won"}`); got != "1" {
		t.Errorf("claims won = %s, want 1", got)
	}
	// A socket call with the same app variable: the socket app parks the
	// channel too (CHANNEL_PARK), but the call is its connection's: it runs once.
	sock := uuid.NewString()
	cmd, err := originateInline("{origination_uuid="+sock+"}loopback/"+parkExt(), "set:"+parkAppVar+"=e2e.park 300,socket:"+s.listen+" async full")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BgAPIAsync(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	if !h.wait(ctx, []string{sock}) {
		t.Fatalf("the socket call did not end\n%s", s.logs)
	}
	if ev := h.get(sock); ev.Variable("fsstar_runs") != "1" || ev.Get("Hangup-Cause") != "NORMAL_CLEARING" {
		t.Errorf("socket call beside park mode: fsstar_runs %q, cause %s; want one run", ev.Variable("fsstar_runs"), ev.Get("Hangup-Cause"))
	}
	if got := metric(t, s, `fsstar_park_claims_total{outcome="won"}`); got != "1" {
		t.Errorf("claims won = %s after the socket call, want still 1", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, _ := c.API(ctx, "hash select/fsstar/"+id)
		if out == "" || strings.HasPrefix(out, "-ERR") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the claim of %s is still there: %q", id, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestParkFailoverFreeSWITCH is issue 14's exactly-once check: three fsstar
// instances in park mode share the real switch; one is killed (SIGKILL)
// while calls are in flight. Every call is accounted for: run once to its
// end by an instance, or given on-error (hangup SYSTEM_SHUTDOWN) after its
// instance died; none is run twice, none is left silent.
// FSSTAR_PARK_FAILOVER_CALLS sets the number of calls (default 300).
func TestParkFailoverFreeSWITCH(t *testing.T) {
	addr, pw := realSwitch(t)
	calls := 300
	if v, err := strconv.Atoi(os.Getenv("FSSTAR_PARK_FAILOVER_CALLS")); err == nil && v > 0 {
		calls = v
	}
	args := []string{"-park", "-app-variable", parkAppVar, "-park-connections", "2", "-heartbeat-interval", "500ms", "-on-error", "hangup:SYSTEM_SHUTDOWN", "-log-level", "info"}
	var svcs []*service
	for range 3 {
		svcs = append(svcs, startService(t, addr, pw, args...))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute+time.Duration(calls)*40*time.Millisecond)
	defer cancel()
	c := dialSwitch(ctx, t, addr, pw)
	if err := c.Subscribe(ctx, "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"); err != nil {
		t.Fatal(err)
	}
	h := collectHangups(ctx, c)
	ids := make([]string, calls)
	t.Cleanup(func() { // leave the switch clean when calls were left over
		kctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, id := range ids {
			if id != "" && h.get(id) == nil {
				c.API(kctx, "uuid_kill "+id)
			}
		}
	})
	killAt := calls / 2
	var jobs []*esl.Job
	start := time.Now()
	var killed time.Time
	for i := range calls {
		if i == killAt {
			svcs[1].cmd.Process.Signal(syscall.SIGKILL)
			killed = time.Now()
		}
		ids[i] = uuid.NewString()
		job, err := parkCall(ctx, c, ids[i], "e2e.park 1500", "sched_transfer:+60 fsstar_no_such_ext XML fsstar_test", "")
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, job)
		time.Sleep(25 * time.Millisecond) // ~40 calls/s, ~60 in flight
	}
	failed := 0
	for _, j := range jobs { // the originate itself: not fsstar's part
		ev, err := j.Wait(ctx)
		body := ""
		if ev != nil {
			body = string(ev.Body)
		}
		if err != nil || !strings.HasPrefix(body, "+OK") {
			if failed++; failed == 1 {
				t.Errorf("originate failed (the switch refused the call): %v %q", err, body)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d originates failed", failed, calls)
	}
	if !h.wait(ctx, ids) {
		var silent []string
		for _, id := range ids {
			if h.get(id) == nil {
				silent = append(silent, id)
			}
		}
		for _, id := range silent[:min(3, len(silent))] {
			t.Logf("silent call %s:\n%s", id, parkCallReport(t, c, parkAppVar, id, svcs))
		}
		t.Fatalf("%d of %d calls did not end: fsstar left them silent", len(silent), calls)
	}
	elapsed := time.Since(start)
	// Each takeover must be of a call of the killed instance: one of a live
	// instance's calls would be a call cut short while its script ran.
	dead := logField(svcs[1].logs.String(), "park mode on", "slot_prefix")
	if dead == "" {
		t.Fatalf("the killed instance's log names no instance id:\n%s", svcs[1].logs)
	}
	takenOver := map[string]bool{}
	for i, s := range svcs {
		if i == 1 {
			continue
		}
		for _, line := range strings.Split(s.logs.String(), "\n") {
			if !strings.Contains(line, "call of an fsstar instance that stopped: on-error applied") {
				continue
			}
			id, prev := logField(line, "", "uuid"), logField(line, "", "previous_instance")
			if prev != dead {
				t.Errorf("instance %d took over call %s of instance %s, which was alive (the killed one is %s)", i+1, id, prev, dead)
			}
			takenOver[id] = true
		}
	}
	outcomes := map[string]int{}
	for _, id := range ids {
		ev := h.get(id)
		cause, runs := ev.Get("Hangup-Cause"), ev.Variable("fsstar_runs")
		key := cause + " runs=" + runs
		outcomes[key]++
		switch {
		case runs == "1" && cause == "NORMAL_CLEARING":
		case (runs == "" || runs == "1") && cause == "SYSTEM_SHUTDOWN" && takenOver[id]:
		default:
			t.Errorf("call %s: cause %s, fsstar_runs %q, taken over %v: neither run once nor taken over from the killed instance", id, cause, runs, takenOver[id])
		}
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(outcomes)) {
		fmt.Fprintf(&b, "  %-36s %d\n", k, outcomes[k])
	}
	won := make([]string, len(svcs))
	for i, s := range svcs {
		if i == 1 {
			won[i] = "killed"
			continue
		}
		won[i] = metric(t, s, `fsstar_park_claims_total{outcome="won"}`) + " won, " +
			metric(t, s, `fsstar_park_claims_total{outcome="takeover"}`) + " takeovers"
	}
	t.Logf("%d calls in %s, instance 2 killed after %s; outcomes:\n%sinstances: %s", calls, elapsed.Round(time.Millisecond),
		killed.Sub(start).Round(time.Millisecond), b.String(), strings.Join(won, "; "))
	if outcomes["SYSTEM_SHUTDOWN runs=1"]+outcomes["SYSTEM_SHUTDOWN runs="] == 0 {
		t.Errorf("no call was in flight on the killed instance: the test did not test a takeover")
	}
}

// logField returns the value of key=value in the first line of logs that
// contains msg ("" when none does).
func logField(logs, msg, key string) string {
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, msg) {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, key+"="); ok {
				return v
			}
		}
	}
	return ""
}

// parkCallReport says where a parked call stands: its channel's fsstar
// variables and application, its claim in mod_hash, and every log line of
// the services that names it.
func parkCallReport(t *testing.T, c *esl.Client, appVar, id string, svcs []*service) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var b strings.Builder
	if out, err := c.API(ctx, "uuid_dump "+id+" json"); err != nil {
		fmt.Fprintf(&b, "  uuid_dump: %v\n", err)
	} else if d, err := esl.ParseJSON([]byte(out)); err == nil {
		for _, h := range []string{"Channel-State", "Answer-State", "variable_current_application", "variable_fsstar_instance",
			"variable_fsstar_slot", "variable_" + appVar, "variable_last_sched_id", "variable_fsstar_runs"} {
			fmt.Fprintf(&b, "  %s: %q\n", h, d.Get(h))
		}
		switch {
		case d.Get("Channel-State") == "CS_ROUTING" && d.Get("variable_current_application") == "":
			b.WriteString("  the switch never ran the call's dialplan: it lost the transfer into it (see originateInline)\n")
		case d.Get("variable_current_application") == "park" && d.Get("variable_"+appVar) == "" &&
			d.Get("variable_fsstar_slot") == "" && d.Get("variable_fsstar_instance") == "":
			b.WriteString("  parked without the app variable and without fsstar's marks: the a-leg may have run the far end's extension instead of the inline apps (see originateInline)\n")
		}
	}
	claim, err := c.API(ctx, "hash select/fsstar/"+id)
	fmt.Fprintf(&b, "  claim: %q %v\n", claim, err)
	for i, s := range svcs {
		for _, line := range strings.Split(s.logs.String(), "\n") {
			if strings.Contains(line, id) {
				fmt.Fprintf(&b, "  instance %d: %s\n", i, line)
			}
		}
	}
	return b.String()
}
