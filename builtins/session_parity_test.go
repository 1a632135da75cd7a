package builtins

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestSessionProcessCallbackResult: inside the input callback while a file
// plays, process_callback_result acts on it as switch_ivr_process_fh does
// through uuid_fileman ("pause": 0; "stop": 1, and the file ends as if
// played to its end, so streamFile gives 1 as CoreSession::streamFile);
// outside media "" gives 0 and anything else 1 (no file handle).
func TestSessionProcessCallbackResult(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    got = []
    def on_input(s, what, obj):
        got.append(s.process_callback_result({"1": "pause", "2": "nonsense", "3": "stop"}[obj.digit]))
        return ""
    session.answer()
    session.setInputCallback(on_input)
    sim.dtmf("1w2w3", 500)  # one sender, so the keys keep their order under load
    n = session.streamFile(`+longTone+`)
    session.unsetInputCallback()
    return [n, got, sim.media(), session.process_callback_result(""), session.process_callback_result("pause")]
`, nil)
	c.check(t, `[1, [0, 0, 1], "fileman pause, fileman nonsense, fileman stop", 0, 1]`)
}

// TestSessionDestroyLeavesTheCall: destroy() on the handler's session does
// not hang it up (S_HUP is only for legs the script originated), and
// destroy(err) raises err, as mod_lua's.
func TestSessionDestroyLeavesTheCall(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    session.destroy()
    sim.note(str(sim.var("x") == None))
    session.destroy("the end")
`, nil)
	if c.err == nil || !strings.Contains(c.err.Error(), "the end") {
		t.Fatalf("destroy(err): %v, want the error %q", c.err, "the end")
	}
	for _, a := range appList(c.ch) {
		if strings.HasPrefix(a, "hangup") {
			t.Fatalf("destroy hung the handler's call up: %q", appList(c.ch))
		}
	}
}

// TestSessionHookExit: the hangup hook of a leg the script opened runs at
// the leg's next method call after it hung up; "exit" returned by it ends
// the script, as mod_lua's do_hangup_hook raises it.
func TestSessionHookExit(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    b = freeswitch.Session("user/1000")
    def on_hangup(s, what):
        sim.note("hook " + what)
        return "exit"
    b.setHangupHook(on_hangup)
    sim.hangup_uuid_after(b.uuid, "NORMAL_CLEARING", 100)
    freeswitch.msleep(400)
    b.ready()
    sim.note("after the hook")
`, nil)
	var exit *HookExit
	if !errors.As(c.err, &exit) || exit.Result != "exit" {
		t.Fatalf("script error %v, want a HookExit", c.err)
	}
	if strings.Join(c.notes, "|") != "hook hangup" {
		t.Fatalf("notes %q: the script went on after the hook said exit", c.notes)
	}
}

// TestSessionSmallParity: API(session) is accepted, hangupState() is None,
// collectDigits without a callback returns 0 at once, read() takes an
// empty prompt and a digit_timeout.
func TestSessionSmallParity(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    api = freeswitch.API(session)
    sim.dtmf("5", 100)
    d = session.read(1, 3, "", 2000, "#", 300)
    return [type(api), session.hangupState(), session.collectDigits(5000), session.collectDigits(0, 5000), d]
`, nil)
	c.check(t, `["API", None, 0, 0, "5"]`)
	c.apps(t, "answer") // read collects from the DTMF events: no app
}

// TestEventConsumerDropsWhenFull: as the switch's consumer, events that
// find the queue full are dropped and the consumer goes on.
func TestEventConsumerDropsWhenFull(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def fire(n):
    e = freeswitch.Event("CUSTOM", "fsstar::full")
    e.addHeader("N", str(n))
    e.fire()

def handler(session, args):
    con = freeswitch.EventConsumer("CUSTOM", "fsstar::full", 2)
    for n in range(5):
        fire(n)
    freeswitch.msleep(300)
    got = [con.pop().getHeader("N"), con.pop().getHeader("N"), con.pop()]
    fire(9)
    got.append(con.pop(1, 2000).getHeader("N"))
    return got
`, nil)
	c.check(t, `["0", "1", None, "9"]`)
}

// TestSessionReadAsSwitchIvrRead: read pre-answers a channel without media
// (as switch_ivr_read), keeps a terminator written after "+", and takes
// keys pressed before it (they break its prompt).
func TestSessionReadAsSwitchIvrRead(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    sim.dtmf("5#", 50)
    a = session.read(1, 3, "", 2000, "+#")
    sim.dtmf("78", 50)
    session.sleep(300)
    b = session.read(1, 2, "tone_stream://%(5000,0,440)", 2000, "#")
    b_result = sim.var("read_result")
    c = session.read(2, 3, "", 100, "#")
    return [a, b, b_result, c, sim.var("read_result"), sim.var("read_terminator_used"), session.mediaReady()]
`, nil)
	c.check(t, `["5#", "78", "success", "", "failure", "#", True]`)
	apps := appList(c.ch)
	if len(apps) == 0 || apps[0] != "pre_answer" {
		t.Fatalf("apps %q: want pre_answer first", apps)
	}
}

// TestParkedEventsLeaveOutHangupComplete: a park connection is not sent
// CHANNEL_HANGUP_COMPLETE (CHANNEL_HANGUP ends the call), but every other
// event a Session reads.
func TestParkedEventsLeaveOutHangupComplete(t *testing.T) {
	got := ParkedEvents()
	if slices.Contains(got, "CHANNEL_HANGUP_COMPLETE") {
		t.Errorf("ParkedEvents() = %q, want no CHANNEL_HANGUP_COMPLETE", got)
	}
	for _, n := range sessionEvents {
		if n != "CHANNEL_HANGUP_COMPLETE" && !slices.Contains(got, n) {
			t.Errorf("ParkedEvents() lacks %s", n)
		}
	}
}
