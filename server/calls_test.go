package server_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

const ivrScript = `
def handler(session, args):
    session.answer()
    session.streamFile("tone_stream://%(100,0,440)")
    session.setVariable("ivr_args", args)

def night(session, args):
    session.setVariable("night", "yes")

def boom(session, args):
    session.answer()
    fail("boom")

def keep(session, args):
    session.setAutoHangup(False)
`

func TestCallRunsHandlerAndHangsUp(t *testing.T) {
	h := servertest.NewServer(t, map[string]string{"ivr/main.star": ivrScript})
	ch, cause := h.Call(t, map[string]string{"fsstar_app": "ivr.main sales 3"})
	if cause != "NORMAL_CLEARING" {
		t.Errorf("hangup cause %q, want NORMAL_CLEARING", cause)
	}
	if got := ch.Var("ivr_args"); got != "sales 3" {
		t.Errorf("ivr_args = %q, want %q", got, "sales 3")
	}
	apps := appNames(ch)
	if !slices.Contains(apps, "answer ") || !slices.Contains(apps, "playback tone_stream://%(100,0,440)") {
		t.Errorf("apps %q lack answer and playback", apps)
	}
	ch, _ = h.Call(t, map[string]string{"fsstar_app": "ivr.main::night"})
	if ch.Var("night") != "yes" {
		t.Errorf("::night did not run; logs:\n%s", h.Logs())
	}
}

func TestDefaultModule(t *testing.T) {
	h := servertest.NewServer(t, map[string]string{"ivr/main.star": ivrScript}, servertest.WithConfig(func(c *server.Config) { c.DefaultModule = "ivr.main::night" }))
	ch, _ := h.Call(t, nil)
	if ch.Var("night") != "yes" {
		t.Errorf("default module did not run; logs:\n%s", h.Logs())
	}
}

func TestOnErrorHangup(t *testing.T) {
	h := servertest.NewServer(t, map[string]string{"ivr/main.star": ivrScript}, servertest.WithConfig(func(c *server.Config) { c.OnError = "hangup:CALL_REJECTED" }))
	for _, app := range []string{"ivr.main::boom", "ivr.missing", "../etc/passwd", ""} {
		ch, cause := h.Call(t, map[string]string{"fsstar_app": app})
		if cause != "CALL_REJECTED" {
			t.Errorf("app %q: hangup cause %q, want CALL_REJECTED (apps %q)", app, cause, appNames(ch))
		}
	}
	logs := h.Logs()
	for _, want := range []string{"boom", "ivr.missing", "uuid="} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestOnErrorTransfer(t *testing.T) {
	sw := esltest.NewSwitch(t)
	sw.RouteApps("fallback", esltest.App{Name: "hangup", Arg: "USER_BUSY"})
	h := servertest.NewServer(t, map[string]string{"ivr/main.star": ivrScript}, servertest.WithSwitch(sw),
		servertest.WithConfig(func(c *server.Config) { c.OnError = "transfer:fallback XML default" }))
	ch, cause := h.Call(t, map[string]string{"fsstar_app": "ivr.main::boom"})
	if !slices.Contains(appNames(ch), "transfer fallback XML default") || cause != "USER_BUSY" {
		t.Errorf("apps %q, cause %q: want a transfer to fallback, then its hangup", appNames(ch), cause)
	}
}

// TestAutoHangupOff: after setAutoHangup(False) fsstar sends resume and the
// dialplan goes on after the socket app.
func TestAutoHangupOff(t *testing.T) {
	h := servertest.NewServer(t, map[string]string{"ivr/main.star": ivrScript})
	h.Switch.RouteApps("keep", esltest.App{Name: "set", Arg: "fsstar_app=ivr.main::keep"}, esltest.App{Name: "answer"},
		esltest.App{Name: "socket", Arg: h.Server.Addr() + " async full"},
		// The dialplan goes on for a (simulated) 20 s, so that the b-leg,
		// whose script ends at once, is still up when the test looks for it.
		esltest.App{Name: "sleep", Arg: "20000"}, esltest.App{Name: "hangup", Arg: "USER_BUSY"})
	c, err := esl.Dial(context.Background(), h.Switch.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.API(context.Background(), "originate loopback/keep &park")
	var b *esltest.Channel
	waitFor(t, "b-leg", func() bool {
		for _, ch := range h.Switch.Channels() {
			if strings.HasPrefix(ch.Name(), "loopback/keep-b") {
				b = ch
			}
		}
		return b != nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if cause, err := b.WaitHangup(ctx); err != nil || cause != "USER_BUSY" {
		t.Errorf("cause %q, %v: want the dialplan's USER_BUSY after the script (apps %q)", cause, err, appNames(b))
	}
}

const hookScript = `
def hook(session, what, args):
    print("HOOK", what, args)

def handler(session, args):
    session.setHangupHook(hook, "x")
    session.answer()
    if args == "wait":
        session.sleep(100000)
`

// TestHangupHookOnce: the hook runs exactly once whether the caller hangs up
// mid-script or the script ends and fsstar hangs up.
func TestHangupHookOnce(t *testing.T) {
	h := servertest.NewServer(t, map[string]string{"h.star": hookScript}, servertest.WithConfig(func(c *server.Config) { c.HangupGrace = 200 * time.Millisecond }))
	h.Call(t, map[string]string{"fsstar_app": "h"})
	waitFor(t, "hook after script end", func() bool { return strings.Count(h.Logs(), "HOOK hangup x") == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ch, err := h.Switch.PlaceCall(ctx, h.Server.Addr(), map[string]string{"fsstar_app": "h wait"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "answer", ch.Answered)
	ch.Hangup("USER_BUSY")
	waitFor(t, "hook after caller hangup", func() bool { return strings.Count(h.Logs(), "HOOK hangup x") == 2 })
	waitFor(t, "handler end", func() bool { return h.Server.ActiveCalls() == 0 })
	time.Sleep(50 * time.Millisecond)
	if n := strings.Count(h.Logs(), "HOOK"); n != 2 {
		t.Errorf("hook ran %d times for 2 calls:\n%s", n, h.Logs())
	}
}

// TestOrphans: a channel left by an earlier fsstar instance (marker set,
// no longer in the socket app) gets the on-error policy at start; ours and
// unmarked ones are left alone.
func TestOrphans(t *testing.T) {
	h, orphan, other := startWithOrphans(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if cause, err := orphan.WaitHangup(ctx); err != nil || cause != "SYSTEM_SHUTDOWN" {
		t.Errorf("orphan: cause %q, %v; logs:\n%s", cause, err, h.Logs())
	}
	if other.HangupCause() != "" {
		t.Errorf("an unmarked channel was hung up")
	}
}

// TestWithoutOrphanScan: a one-shot tool's server leaves another fsstar's
// calls alone.
func TestWithoutOrphanScan(t *testing.T) {
	h, orphan, _ := startWithOrphans(t, server.WithoutOrphanScan())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Server.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	// The scan, when it runs, hangs the orphan up within milliseconds of
	// the connection (TestOrphans); give it ample time not to.
	select {
	case <-orphan.Done():
		t.Fatalf("orphan hung up (%s) by a server told not to scan; logs:\n%s", orphan.HangupCause(), h.Logs())
	case <-time.After(300 * time.Millisecond):
	}
}

// startWithOrphans starts a server on a switch that has a call marked by
// an earlier fsstar instance (orphan) and an unmarked one (other).
func startWithOrphans(t *testing.T, opts ...server.Option) (h *servertest.Server, orphan, other *esltest.Channel) {
	t.Helper()
	sw := esltest.NewSwitch(t)
	sw.RouteApps("orphan", esltest.App{Name: "set", Arg: "fsstar_app=ivr.main"},
		esltest.App{Name: "set", Arg: server.InstanceVar + "=old-instance"}, esltest.App{Name: "answer"}, esltest.App{Name: "park"})
	sw.RouteApps("plain", esltest.App{Name: "answer"}, esltest.App{Name: "park"})
	c, err := esl.Dial(context.Background(), sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, ext := range []string{"orphan", "plain"} {
		if _, err := c.API(context.Background(), "originate loopback/"+ext+" &park"); err != nil {
			t.Fatal(err)
		}
	}
	for _, ch := range sw.Channels() {
		switch {
		case ch.Var(server.InstanceVar) != "":
			orphan = ch
		case strings.HasPrefix(ch.Name(), "loopback/plain-b"):
			other = ch
		}
	}
	if orphan == nil || other == nil {
		t.Fatal("test set-up: channels not found")
	}
	h = servertest.NewServer(t, nil, servertest.WithSwitch(sw),
		servertest.WithConfig(func(c *server.Config) { c.OnError = "hangup:SYSTEM_SHUTDOWN" }), servertest.WithServerOptions(opts...))
	return h, orphan, other
}

// TestCommandsPerCall pins what a call costs the switch: the commands its
// socket sends. A script that hangs up itself gets no second hangup from the
// server, the Session's events come with the connect subscription (no
// "event" command of its own), and a script that returns without hanging up
// gets exactly one hangup.
func TestCommandsPerCall(t *testing.T) {
	h := servertest.NewServer(t, map[string]string{"ivr/main.star": ivrScript + `
def bye(session, args):
    session.answer()
    session.hangup()
`})
	count := func(cmds []string, prefix string) int {
		n := 0
		for _, c := range cmds {
			if strings.HasPrefix(c, prefix) {
				n++
			}
		}
		return n
	}
	ch, cause := h.Call(t, map[string]string{"fsstar_app": "ivr.main::bye"})
	if cause != "NORMAL_CLEARING" {
		t.Fatalf("hangup cause %q, want NORMAL_CLEARING", cause)
	}
	cmds := ch.SocketCommands()
	if n := count(cmds, "sendmsg execute hangup") + count(cmds, "sendmsg hangup"); n != 1 {
		t.Errorf("script that hung up itself: %d hangups sent, want 1; commands %q", n, cmds)
	}
	if n := count(cmds, "event "); n != 1 {
		t.Errorf("%d event commands, want the one of the connect round trip; commands %q", n, cmds)
	}
	ch, _ = h.Call(t, map[string]string{"fsstar_app": "ivr.main::night"})
	cmds = ch.SocketCommands()
	if n := count(cmds, "sendmsg hangup"); n != 1 || count(cmds, "sendmsg execute hangup") != 0 {
		t.Errorf("script that returned: want one auto hangup; commands %q", cmds)
	}
}

// TestKeysActAsUnderModLua: the variables fsstar sets on a call it takes
// (builtins.ChannelDefaults) make the dptools apps act as mod_lua's
// calls: "*" does not cut a prompt, a key does not end sleep(), and the
// keys reach the next getDigits. A dialplan that set them keeps its own.
func TestKeysActAsUnderModLua(t *testing.T) {
	const keys = `
def handler(session, args):
    session.answer()
    session.setVariable("played", str(session.streamFile("tone_stream://%(3000,0,440)")))
    session.sleep(2000)
    session.setVariable("digits", session.getDigits(3, "#", 500))
`
	h := servertest.NewServer(t, map[string]string{"keys.star": keys})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := h.Switch.PlaceCall(ctx, h.Server.Addr(), map[string]string{"fsstar_app": "keys"})
	if err != nil {
		t.Fatal(err)
	}
	ch.DTMFDuring("playback", 500*time.Millisecond, "*")
	ch.DTMFDuring("sleep", 500*time.Millisecond, "5")
	if _, err := ch.WaitHangup(ctx); err != nil {
		t.Fatal(err)
	}
	if ch.Var("playback_terminators") != "none" || ch.Var("sleep_eat_digits") != "true" {
		t.Errorf("channel variables: playback_terminators=%q sleep_eat_digits=%q", ch.Var("playback_terminators"), ch.Var("sleep_eat_digits"))
	}
	if ch.Var("played") != "1" {
		t.Errorf("streamFile returned %q: the * cut the prompt", ch.Var("played"))
	}
	if ch.Var("digits") != "*5" {
		t.Errorf("getDigits = %q, want the keys pressed during the prompt and the sleep, *5", ch.Var("digits"))
	}
	for _, a := range ch.Apps() {
		if a.Name == "sleep" {
			if d := a.End.Sub(a.Start); d < 15*time.Millisecond { // 2 s at the simulated switch's default scale (1:100)
				t.Errorf("the key ended the sleep after %v", d)
			}
		}
	}
}

// TestOrphanScanSparesLiveInstance: several fsstar instances may serve one
// switch. A second one starting must not take the calls of a live first
// one, even while the first one's script runs an app inside the socket
// (current_application is then that app, not "socket"); the first one's
// heartbeat (fsstar_alive_<instance>) says it is alive. A marked call
// whose instance's heartbeat is stale is an orphan.
func TestOrphanScanSparesLiveInstance(t *testing.T) {
	const slow = `
def handler(session, args):
    session.answer()
    session.sleep(60000)
`
	a := servertest.NewServer(t, map[string]string{"slow.star": slow}, servertest.WithConfig(func(c *server.Config) { c.OnError = "hangup:SYSTEM_SHUTDOWN" }))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	waitFor(t, "instance a's heartbeat", func() bool {
		c := a.Server.Client()
		if c == nil {
			return false
		}
		v, err := c.API(ctx, "global_getvar "+server.AliveVar(a.Server.Instance()))
		return err == nil && v != ""
	})
	live, err := a.Switch.PlaceCall(ctx, a.Server.Addr(), map[string]string{"fsstar_app": "slow"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the sleep", func() bool { return live.Var("current_application") == "sleep" && live.Var(server.InstanceVar) != "" })

	// A stale marked call: its instance said it was alive long ago.
	c, err := esl.Dial(ctx, a.Switch.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a.Switch.RouteApps("stale", esltest.App{Name: "set", Arg: server.InstanceVar + "=dead-instance"}, esltest.App{Name: "answer"}, esltest.App{Name: "park"})
	if _, err := c.API(ctx, "global_setvar "+server.AliveVar("dead-instance")+"="+strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10)+":30000"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.API(ctx, "originate loopback/stale &park"); err != nil {
		t.Fatal(err)
	}
	var stale *esltest.Channel
	for _, ch := range a.Switch.Channels() {
		if ch.Var(server.InstanceVar) == "dead-instance" {
			stale = ch
		}
	}
	if stale == nil {
		t.Fatal("test set-up: the stale call is missing")
	}

	b := servertest.NewServer(t, nil, servertest.WithSwitch(a.Switch), servertest.WithConfig(func(c *server.Config) { c.OnError = "hangup:SYSTEM_SHUTDOWN" }))
	if cause, err := stale.WaitHangup(ctx); err != nil || cause != "SYSTEM_SHUTDOWN" {
		t.Errorf("stale orphan: cause %q, %v; logs:\n%s", cause, err, b.Logs())
	}
	if cause := live.HangupCause(); cause != "" {
		t.Fatalf("instance b hung up instance a's live call (%s); logs:\n%s", cause, b.Logs())
	}
	live.Hangup("NORMAL_CLEARING")
}

// TestHangupHookAfterHandler: the hook never runs while the handler still
// runs (they may share values: Starlark values are not safe across
// goroutines). A handler that goes on after the hangup (within
// hangup-grace) finishes first, and the hook sees what it did.
func TestHangupHookAfterHandler(t *testing.T) {
	const script = `
def hook(session, what, d):
    freeswitch.consoleLog("info", "hook saw %d" % d["n"])

def handler(session, args):
    d = {"n": 0}
    session.setHangupHook(hook, d)
    session.answer()
    session.hangup()
    for i in range(20000):
        d["n"] += 1
`
	h := servertest.NewServer(t, map[string]string{"h.star": script})
	h.Call(t, map[string]string{"fsstar_app": "h"})
	waitFor(t, "the hook", func() bool { return strings.Contains(h.Logs(), "hook saw") })
	if !strings.Contains(h.Logs(), "hook saw 20000") {
		t.Fatalf("the hook ran while the handler still counted; logs:\n%s", h.Logs())
	}
}

// consoleLog in a call still logs with the call's uuid and module.
func TestConsoleLogCarriesCallFields(t *testing.T) {
	h := servertest.NewServer(t, map[string]string{"ivr/log.star": `
def handler(session, args):
    freeswitch.consoleLog("info", "hello from the script")
`})
	ch, _ := h.Call(t, map[string]string{"fsstar_app": "ivr.log"})
	for _, line := range strings.Split(h.Logs(), "\n") {
		if strings.Contains(line, "hello from the script") {
			if !strings.Contains(line, "uuid="+ch.UUID()) || !strings.Contains(line, "module=ivr.log") {
				t.Errorf("consoleLog line without the call's fields: %s", line)
			}
			return
		}
	}
	t.Errorf("consoleLog line not logged:\n%s", h.Logs())
}
