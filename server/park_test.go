package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

// parkScripts are the scripts of the park-mode tests.
var parkScripts = map[string]string{
	"flow.star": `
def handler(session, args):
    session.answer()
    session.execute("log", "INFO ran " + args)
    session.setVariable("flow_seen", session.getVariable("flow_in") or "none")
    session.sleep(20)
    session.hangup("NORMAL_CLEARING")
`,
	"slow.star": `
def handler(session, args):
    session.answer()
    session.execute("log", "INFO ran")
    session.sleep(60000)
`,
	"resume.star": `
def handler(session, args):
    session.answer()
    session.setAutoHangup(False)
`,
	"xfer.star": `
def handler(session, args):
    session.answer()
    session.execute("log", "INFO ran xfer")
    session.transfer(args)
`,
	"busy.star": `
def handler(session, args):
    session.answer()
    session.execute("log", "INFO ran busy")
    # Busy in Starlark, reading none of its events, until the test says
    # stop (a global variable): not for a number of steps, whose duration
    # depends on the machine.
    n = 0
    for i in range(1 << 40):
        n += i
        if i % 10000 == 0 and freeswitch.getGlobalVariable("busy_stop") == "1":
            break
    session.hangup()
`,
	"hooked.star": `
def bye(session, what):
    freeswitch.API().execute("hash", "insert/test/" + session.uuid + "/" + what)

def handler(session, args):
    session.setHangupHook(bye)
    session.answer()
    session.sleep(60000)
`,
}

// parked places a call that the dialplan parks for fsstar with module.
func parked(t *testing.T, sw *esltest.Switch, module string, vars map[string]string) *esltest.Channel {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v := map[string]string{"fsstar_app": module}
	for k, x := range vars {
		v[k] = x
	}
	ch, err := sw.ParkCall(ctx, v, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// ranCount counts the "ran" log lines a channel's scripts wrote: how many
// times fsstar ran a script on it.
func ranCount(ch *esltest.Channel) int {
	n := 0
	for _, a := range ch.Apps() {
		if a.Name == "log" && strings.Contains(a.Arg, "ran") {
			n++
		}
	}
	return n
}

// waitHangup waits until ch hangs up and returns the cause; it shows h's
// log when the call does not end.
func waitHangup(t *testing.T, ch *esltest.Channel, h *servertest.Server) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cause, err := ch.WaitHangup(ctx)
	if err != nil {
		t.Fatalf("call %s did not end: %v\nlogs:\n%s", ch.UUID(), err, h.Logs())
	}
	return cause
}

func parkOn(c *server.Config) {
	c.Park = true
	c.HeartbeatInterval = 200 * time.Millisecond
	c.OnError = "hangup:SYSTEM_SHUTDOWN"
}

// TestParkModeRunsScript: a call the dialplan parks is claimed, driven over
// the park connection exactly as a socket call (the module's args, app
// execution, variables, hangup), and its claim is gone once it ended.
func TestParkModeRunsScript(t *testing.T) {
	h := servertest.NewServer(t, parkScripts, servertest.WithConfig(parkOn))
	waitPark(t, h)
	ch := parked(t, h.Switch, "flow a b", map[string]string{"flow_in": "it's ${x}"})
	if cause := waitHangup(t, ch, h); cause != "NORMAL_CLEARING" {
		t.Fatalf("hangup cause %q, want NORMAL_CLEARING\n%s", cause, h.Logs())
	}
	if got := ranCount(ch); got != 1 {
		t.Fatalf("script ran %d times, want 1; apps %q", got, appNames(ch))
	}
	if got := ch.Var("flow_seen"); got != "it's ${x}" {
		t.Errorf("flow_seen = %q, want the variable read back unexpanded", got)
	}
	if got := ch.Var(server.SlotVar); !strings.HasPrefix(got, h.Server.Instance()+"/") {
		t.Errorf("%s = %q, want this instance's slot", server.SlotVar, got)
	}
	// The slot names the instance: a parked call carries nothing more
	// (every byte of a mark rides on each of the call's events), and the
	// instance's name is short.
	if got := ch.Var(server.InstanceVar); got != "" {
		t.Errorf("%s = %q on a parked call, want none", server.InstanceVar, got)
	}
	if n := len(h.Server.Instance()); n != 12 {
		t.Errorf("instance name %q: %d bytes, want 12", h.Server.Instance(), n)
	}
	waitFor(t, "the claim to go", func() bool { return h.Switch.HashValue(server.ClaimRealm, ch.UUID()) == "" })
	if n := h.Server.ParkClaims("won"); n != 1 {
		t.Errorf("claims won = %v, want 1", n)
	}
	_, m, _ := do(t, "GET", h.URL("/metrics"), "", nil)
	for _, want := range []string{`fsstar_park_connection_up{connection="0",switch="` + h.Switch.Addr() + `"} 1`, `fsstar_park_connection_calls{connection="0",switch="` + h.Switch.Addr() + `"} 0`, `fsstar_park_claims_total{outcome="won"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
}

// TestParkModeExactlyOnce: three instances serve one switch; every parked
// call runs exactly once, and the calls are shared among them. The
// heartbeat is at its default: with parkOn's 200 ms (valid 600 ms), an
// instance whose beat came late under load (three servers and the switch
// in one process, -race, busy cores: beats 750 ms late were seen) was
// rightly found dead and its calls taken over with on-error before their
// scripts ran. Death and takeover are TestParkModeTakeover's subject.
func TestParkModeExactlyOnce(t *testing.T) {
	on := func(c *server.Config) { parkOn(c); c.HeartbeatInterval = server.DefaultConfig().HeartbeatInterval }
	a := servertest.NewServer(t, parkScripts, servertest.WithConfig(func(c *server.Config) { on(c); c.ParkConnections = 2 }))
	b := servertest.NewServer(t, nil, servertest.WithSwitch(a.Switch), servertest.WithDir(a.Dir), servertest.WithConfig(on))
	c := servertest.NewServer(t, nil, servertest.WithSwitch(a.Switch), servertest.WithDir(a.Dir), servertest.WithConfig(on))
	for _, h := range []*servertest.Server{a, b, c} {
		waitPark(t, h)
	}
	time.Sleep(300 * time.Millisecond) // every instance subscribed
	const calls = 60
	var wg sync.WaitGroup
	chans := make([]*esltest.Channel, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chans[i] = parked(t, a.Switch, "flow", nil)
		}()
	}
	wg.Wait()
	for _, ch := range chans {
		cause := waitHangup(t, ch, a)
		if got := ranCount(ch); got != 1 || cause != "NORMAL_CLEARING" {
			var lines []string
			for i, h := range []*servertest.Server{a, b, c} {
				for _, line := range strings.Split(h.Logs(), "\n") {
					if strings.Contains(line, ch.UUID()) {
						lines = append(lines, fmt.Sprintf("instance %d: %s", i, line))
					}
				}
			}
			t.Errorf("call %s: script ran %d times, cause %s; want once, NORMAL_CLEARING; apps %q\n%s",
				ch.UUID(), got, cause, appNames(ch), strings.Join(lines, "\n"))
		}
	}
	total := 0.0
	for _, h := range []*servertest.Server{a, b, c} {
		won := h.Server.ParkClaims("won")
		lost := h.Server.ParkClaims("lost")
		t.Logf("instance %s: won %v lost %v", h.Server.Instance()[:8], won, lost)
		total += won
	}
	if total != calls {
		t.Errorf("claims won in all = %v, want %d", total, calls)
	}
}

// TestParkModePickup: calls parked while no fsstar was up are picked up
// when one starts: a recent one runs its script, one parked for longer
// than park-claim-timeout gets on-error.
func TestParkModePickup(t *testing.T) {
	sw := esltest.NewSwitch(t)
	old := parked(t, sw, "flow", nil)
	time.Sleep(1200 * time.Millisecond)
	fresh := parked(t, sw, "flow", nil)
	time.Sleep(2100 * time.Millisecond) // the sweep leaves calls younger than 2s to the dispatch
	h := servertest.NewServer(t, parkScripts, servertest.WithSwitch(sw), servertest.WithConfig(func(c *server.Config) { parkOn(c); c.ParkClaimTimeout = 2700 * time.Millisecond }))
	if cause := waitHangup(t, fresh, h); cause != "NORMAL_CLEARING" || ranCount(fresh) != 1 {
		t.Errorf("fresh call: cause %q, runs %d; want its script once\n%s", cause, ranCount(fresh), h.Logs())
	}
	if cause := waitHangup(t, old, h); cause != "SYSTEM_SHUTDOWN" || ranCount(old) != 0 {
		t.Errorf("late call: cause %q, runs %d; want on-error and no script\n%s", cause, ranCount(old), h.Logs())
	}
	if n := h.Server.ParkClaims("late"); n != 1 {
		t.Errorf("late claims = %v, want 1", n)
	}
}

// TestParkModeTakeover: an instance that dies mid-call (its connections
// gone, its heartbeat stale) has its calls taken over by another instance
// with on-error, once; the hangup hook of the survivor's own calls still
// runs on the survivor.
func TestParkModeTakeover(t *testing.T) {
	a := servertest.NewServer(t, parkScripts, servertest.WithConfig(parkOn))
	waitPark(t, a)
	ch := parked(t, a.Switch, "slow", nil)
	waitFor(t, "a's claim", func() bool { return a.Switch.HashValue(server.ClaimRealm, ch.UUID()) == a.Server.Instance() })
	waitFor(t, "the script", func() bool { return ranCount(ch) == 1 })

	// a dies: its connections drop and its heartbeat stops (no drain).
	a.Server.Kill()

	b := servertest.NewServer(t, nil, servertest.WithSwitch(a.Switch), servertest.WithDir(a.Dir), servertest.WithConfig(parkOn))
	c := servertest.NewServer(t, nil, servertest.WithSwitch(a.Switch), servertest.WithDir(a.Dir), servertest.WithConfig(parkOn))
	if cause := waitHangup(t, ch, b); cause != "SYSTEM_SHUTDOWN" {
		t.Fatalf("dead instance's call: cause %q, want on-error (SYSTEM_SHUTDOWN)\nb:\n%s\nc:\n%s", cause, b.Logs(), c.Logs())
	}
	if got := ranCount(ch); got != 1 {
		t.Errorf("script ran %d times, want 1", got)
	}
	tb := b.Server.ParkClaims("takeover")
	tc := c.Server.ParkClaims("takeover")
	if tb+tc != 1 {
		t.Errorf("takeovers: b %v, c %v; want one in all", tb, tc)
	}

	// The survivors serve new calls, hooks included.
	hooked := parked(t, a.Switch, "hooked", nil)
	waitFor(t, "answer", func() bool {
		return hooked.Var("answer_epoch") != "" || strings.Contains(strings.Join(appNames(hooked), ","), "answer")
	})
	hooked.Hangup("USER_BUSY")
	waitFor(t, "the hangup hook", func() bool { return a.Switch.HashValue("test", hooked.UUID()) == "hangup" })
}

// TestParkModeMarkFails: a claimed call whose marks could not be set gets
// on-error, not its script: unmarked, none of its events would reach its
// park connection and the script would wait for them for ever.
func TestParkModeMarkFails(t *testing.T) {
	h := servertest.NewServer(t, parkScripts, servertest.WithConfig(parkOn))
	waitPark(t, h)
	h.Switch.FailNextAPI("uuid_setvar_multi", "-ERR lost\n")
	ch := parked(t, h.Switch, "flow", nil)
	if cause := waitHangup(t, ch, h); cause != "SYSTEM_SHUTDOWN" {
		t.Fatalf("cause %q, want on-error (SYSTEM_SHUTDOWN)\n%s", cause, h.Logs())
	}
	if got := ranCount(ch); got != 0 {
		t.Errorf("script ran %d times, want none", got)
	}
	if n := h.Server.ParkClaims("failed"); n != 1 {
		t.Errorf("failed claims = %v, want 1", n)
	}
	waitFor(t, "the claim to go", func() bool { return h.Switch.HashValue(server.ClaimRealm, ch.UUID()) == "" })
}

// TestParkModeHangupLost: a run whose call could not be hung up (its park
// connection and the shared one dropped mid-script, and the switch refused
// them back while the script failed and on-error was tried) must not leave
// the call parked for good: nobody else acts on a live instance's claim, so
// the instance's own sweep gives it on-error once it can.
func TestParkModeHangupLost(t *testing.T) {
	h := servertest.NewServer(t, parkScripts, servertest.WithConfig(parkOn))
	waitPark(t, h)
	ch := parked(t, h.Switch, "slow", nil)
	waitFor(t, "the script", func() bool { return ranCount(ch) == 1 })

	h.Switch.RejectConnections(true)
	h.Switch.Drop(esltest.Inbound)
	waitFor(t, "the on-error hangup to fail", func() bool { return strings.Contains(h.Logs(), "on-error action failed") })
	if cause := ch.HangupCause(); cause != "" {
		t.Fatalf("the call hung up (%s) while every connection was refused: the test did not lose the hangup", cause)
	}
	h.Switch.RejectConnections(false)

	// The run waits 10 s for the hangup it asked for, the sweep listLag
	// more before it asks the switch.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cause, err := ch.WaitHangup(ctx)
	if err != nil {
		t.Fatalf("the call was left up: %v\n%s", err, h.Logs())
	}
	if cause != "SYSTEM_SHUTDOWN" {
		t.Fatalf("cause %q, want on-error (SYSTEM_SHUTDOWN)\n%s", cause, h.Logs())
	}
	if got := ranCount(ch); got != 1 {
		t.Errorf("script ran %d times, want 1", got)
	}
	waitFor(t, "the claim to go", func() bool { return h.Switch.HashValue(server.ClaimRealm, ch.UUID()) == "" })
}

// TestParkModeResume: a script that ends with setAutoHangup(False) sends the
// parked call to fsstar_resume, and lets go of it.
func TestParkModeResume(t *testing.T) {
	h := servertest.NewServer(t, parkScripts, servertest.WithConfig(parkOn))
	h.Switch.RouteApps("after", esltest.App{Name: "hangup", Arg: "CALL_REJECTED"})
	waitPark(t, h)
	ch := parked(t, h.Switch, "resume", map[string]string{server.ResumeVar: "after"})
	if cause := waitHangup(t, ch, h); cause != "CALL_REJECTED" {
		t.Fatalf("cause %q, want the resume extension's CALL_REJECTED\n%s", cause, h.Logs())
	}
	if v := ch.Var(server.SlotVar); v != "" {
		t.Errorf("%s = %q after the call left fsstar, want it removed", server.SlotVar, v)
	}
	waitFor(t, "the claim to go", func() bool { return h.Switch.HashValue(server.ClaimRealm, ch.UUID()) == "" })
}

// waitPark waits until h's park mode has subscribed.
func waitPark(t *testing.T, h *servertest.Server) {
	t.Helper()
	waitFor(t, "park mode", func() bool { return h.Server.ParkStarted(0) })
}

// TestParkModeTransfers: the app variable is consumed by the claim. A
// script that transfers the call into a plain park extension (call parking,
// park_after_bridge) does not run again; one that transfers it into an
// extension that sets the app variable and parks starts a new run, as a
// socket call transferred to another socket extension does.
func TestParkModeTransfers(t *testing.T) {
	h := servertest.NewServer(t, parkScripts, servertest.WithConfig(parkOn))
	h.Switch.RouteApps("again", esltest.App{Name: "set", Arg: "fsstar_app=flow again"}, esltest.App{Name: "park"})
	waitPark(t, h)

	plain := parked(t, h.Switch, "xfer park", nil)
	waitFor(t, "the transfer", func() bool { return plain.Var("transfer_history") != "" })
	time.Sleep(500 * time.Millisecond) // a wrong second run would have started by now
	if got := ranCount(plain); got != 1 {
		t.Errorf("transferred into a plain park: script ran %d times, want 1", got)
	}
	if v := plain.Var("fsstar_app"); v != "" {
		t.Errorf("fsstar_app = %q after the claim, want it consumed", v)
	}
	waitFor(t, "the claim to go", func() bool { return h.Switch.HashValue(server.ClaimRealm, plain.UUID()) == "" })
	plain.Hangup("NORMAL_CLEARING")

	chained := parked(t, h.Switch, "xfer again", nil)
	if cause := waitHangup(t, chained, h); cause != "NORMAL_CLEARING" {
		t.Fatalf("chained call: cause %q\n%s", cause, h.Logs())
	}
	if got := ranCount(chained); got != 2 {
		t.Errorf("transferred into an extension for fsstar: %d runs, want 2 (xfer, then flow); apps %q", got, appNames(chained))
	}
}

// TestParkModeSlowScript: a script busy in Starlark reads none of its
// events while the caller floods it with DTMF; the other calls on the same
// park connection go on unhindered, and the busy one ends normally.
func TestParkModeSlowScript(t *testing.T) {
	h := servertest.NewServer(t, parkScripts, servertest.WithConfig(func(c *server.Config) { parkOn(c); c.MaxSteps = 1 << 40 }))
	waitPark(t, h)
	busy := parked(t, h.Switch, "busy", nil)
	waitFor(t, "the busy script", func() bool { return ranCount(busy) == 1 })
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				busy.SendDTMF("1234567890")
				time.Sleep(time.Millisecond)
			}
		}
	}()
	var others []*esltest.Channel
	for range 20 {
		others = append(others, parked(t, h.Switch, "flow", nil))
	}
	for _, ch := range others {
		if cause := waitHangup(t, ch, h); cause != "NORMAL_CLEARING" || ranCount(ch) != 1 {
			t.Errorf("call %s beside a busy script: cause %q, runs %d", ch.UUID(), cause, ranCount(ch))
		}
	}
	select {
	case <-busy.Done():
		t.Errorf("the busy call ended before the others were done; the test did not overlap them")
	default:
	}
	close(stop)
	if _, err := h.Server.Client().API(t.Context(), "global_setvar busy_stop=1"); err != nil {
		t.Fatal(err)
	}
	if cause := waitHangup(t, busy, h); cause != "NORMAL_CLEARING" {
		t.Errorf("busy call: cause %q, want its own hangup", cause)
	}
}

// TestParkModeCancelsLastResort: the dialplan's sched_transfer before the
// park (the last resort when no fsstar is up) is cancelled by the claim;
// a sched_hangup bounding the call's length is not.
func TestParkModeCancelsLastResort(t *testing.T) {
	h := servertest.NewServer(t, map[string]string{"waits.star": `
def handler(session, args):
    session.answer()
    session.sleep(int(args))
    session.hangup("NORMAL_CLEARING")
`}, servertest.WithConfig(parkOn))
	h.Switch.RouteApps("fallback", esltest.App{Name: "hangup", Arg: "NO_ROUTE_DESTINATION"})
	waitPark(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	timer := []esltest.App{{Name: "sched_transfer", Arg: "+1 fallback"}}
	ch, err := h.Switch.ParkCall(ctx, map[string]string{"fsstar_app": "waits 1500"}, timer)
	if err != nil {
		t.Fatal(err)
	}
	if cause := waitHangup(t, ch, h); cause != "NORMAL_CLEARING" {
		t.Errorf("cause %q: the 1 s sched_transfer was not cancelled by the claim", cause)
	}
	bound := append([]esltest.App{{Name: "sched_hangup", Arg: "+1 ALLOTTED_TIMEOUT"}}, timer...)
	ch, err = h.Switch.ParkCall(ctx, map[string]string{"fsstar_app": "waits 3000"}, bound)
	if err != nil {
		t.Fatal(err)
	}
	if cause := waitHangup(t, ch, h); cause != "ALLOTTED_TIMEOUT" {
		t.Errorf("cause %q: the dialplan's sched_hangup should still end the call", cause)
	}
}
