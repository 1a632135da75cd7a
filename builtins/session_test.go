package builtins

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl/esltest"
	"go.starlark.net/starlark"
)

func TestSessionBasics(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    out = [str(session) == session.uuid, session.ready(), session.answered(), session.getState()]
    session.answer()
    out += [session.answered(), session.mediaReady()]
    session.setVariable("fsstar_test", "a b")
    session.execute("log", "INFO ${fsstar_test}")
    out += [session.getVariable("fsstar_test"), session.getVariable("no_such_var"), session.hangupCause()]
    session.hangup("user_busy")
    out += [session.ready(), session.hangupCause()]
    return out
`, nil)
	c.check(t, `[True, True, False, "CS_EXECUTE", True, True, "a b", None, "NONE", False, "USER_BUSY"]`)
	// execute keeps the switch's semantics, as mod_lua's: its data is expanded.
	// hangup is the switch's own hangup (sendmsg call-command hangup), as
	// mod_lua's switch_channel_hangup: no hangup app runs.
	c.apps(t, "answer", "log INFO a b")
	if cmds := c.ch.SocketCommands(); !slices.Contains(cmds, "sendmsg hangup") {
		t.Fatalf("no sendmsg hangup among %q", cmds)
	}
	if cause := c.ch.HangupCause(); cause != "USER_BUSY" {
		t.Fatalf("cause %q", cause)
	}
	if !strings.Contains(c.ch.Var("fsstar_test"), "a b") {
		t.Fatalf("var %q", c.ch.Var("fsstar_test"))
	}
}

// A long tone: 60 simulated seconds, 600 ms of real time at the default scale.
const longTone = `"tone_stream://%(60000,0,440)"`

func TestSessionInputCallbackPauseThenStop(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    seen = []
    def on_input(session, what, obj, args):
        seen.append((what, obj.digit, args))
        return {"1": "pause", "2": "true", "3": "stop"}[obj.digit]
    session.answer()
    session.setInputCallback(on_input, "x")
    # One sender, on the playback's app clock: 1, then 2 and 3 a
    # simulated second apart, in that order however busy the machine.
    sim.dtmf("1W2W3", 1000, during = "playback")
    t0 = time.now()
    n = session.streamFile(`+longTone+`)
    return [n, seen, sim.media(), int(sim.var("playback_ms")) < 60000]
`, nil)
	// The callback broke the playback: 0, as CoreSession::streamFile.
	c.check(t, `[0, [("dtmf", "1", "x"), ("dtmf", "2", "x"), ("dtmf", "3", "x")], "fileman pause, break", True]`)
}

func TestSessionInputCallbackResults(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def on_input(session, what, obj):  # no args: called with three
    return {"1": "speed:+1", "2": None, "3": "seek:+500", "4": "false"}[obj.digit]

def handler(session, args):
    session.answer()
    # What fsstar serve sets on its calls: without it the sleep app itself
    # ends at the first key, and the later keys' results race its end.
    session.setVariable("sleep_eat_digits", "true")
    session.setInputCallback(on_input)
    sim.dtmf("1234", 1000)
    session.sleep(60000)
    first = sim.media()
    session.unsetInputCallback()
    sim.dtmf("5", 200)
    n = session.streamFile("tone_stream://%(1000,0,440)")
    return [first, sim.media(), n, session.ready()]
`, nil)
	c.check(t, `["fileman speed:+1, fileman seek:+500, break", "fileman speed:+1, fileman seek:+500, break", 1, True]`)
	c.apps(t, "answer", "sleep 60000", "playback tone_stream://%(1000,0,440)")
	if !c.call.Conn.Subscribed("DTMF") {
		t.Fatal("DTMF not subscribed after unsetInputCallback: fsstar keeps type-ahead from DTMF events")
	}
}

// Without OutboundEvents at connect, the Session asks for the state events
// itself on first use, and sees an answer made outside its own apps.
func TestSessionSubscribesStateEvents(t *testing.T) {
	r := newRig(t)
	r.bare = true
	c := r.call(`
def handler(session, args):
    before = session.answered()
    freeswitch.API().execute("uuid_answer", session.uuid)
    session.waitForAnswer(5)  # the event and the api reply travel apart
    return [before, session.answered(), session.mediaReady()]
`, nil)
	c.check(t, `[False, True, True]`)
	for _, n := range OutboundEvents() {
		if !c.call.Conn.Subscribed(n) {
			t.Errorf("%s not subscribed", n)
		}
	}
	c.apps(t)
}

func TestSessionInputCallbackError(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def on_input(session, what, obj):
    return 1 // 0

def handler(session, args):
    session.answer()
    session.setInputCallback(on_input)
    sim.dtmf("1", 500)
    session.streamFile(`+longTone+`)
`, nil)
	if c.err == nil || !strings.Contains(c.err.Error(), "division by zero") {
		t.Fatalf("err = %v", c.err)
	}
	if got := strings.Join(c.ch.MediaCommands(), ","); got != "break" {
		t.Fatalf("media %q: a failing callback must end the media", got)
	}
}

func TestSessionHangupDuringStreamFile(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def on_hangup(session, what, args):
    return "%s %s %s %s %s" % (what, args, session.ready(), session.hangupCause(), session.getVariable("fsstar_mark"))

def handler(session, args):
    session.answer()
    session.setVariable("fsstar_mark", "m1")
    session.setHangupHook(on_hangup, "a")
    sim.hangup_after("USER_BUSY", 100)
    t0 = time.now()
    n = session.streamFile(`+longTone+`)
    fast = time.now() - t0 < 2 * time.second
    after = [session.streamFile("x.wav"), session.read(1, 2, "x.wav", 100, "#"), session.getVariable("fsstar_mark")]
    return [n, fast, session.ready(), session.hangupCause(), after]
`, nil)
	c.check(t, `[0, True, False, "USER_BUSY", [0, "", "m1"]]`)
	if want := []string{`"hangup a False USER_BUSY m1"`}; strings.Join(c.hook, "|") != strings.Join(want, "|") {
		t.Fatalf("hook calls %q, want %q (exactly once)", c.hook, want)
	}
	if _, _, ok := c.session.TakeHangupHook(); ok {
		t.Fatal("TakeHangupHook returned the hook twice")
	}
	if c.session.Ready() {
		t.Fatal("Ready after hangup")
	}
}

func TestSessionSetVariableAfterHangupFails(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.hangup()
    session.setVariable("x", "y")
`, nil)
	if want := "Session.setVariable: " + c.session.UUID() + ": session hung up"; c.err == nil || !strings.Contains(c.err.Error(), want) || !errors.Is(c.err, ErrHungUp) {
		t.Fatalf("err = %v, want %q matching ErrHungUp", c.err, want)
	}
	if c.ch.HangupCause() != "NORMAL_CLEARING" {
		t.Fatalf("cause %q", c.ch.HangupCause())
	}
}

// TestSessionDigits: read, playAndGetDigits and getDigits. The keys for read
// come 500 ms into its prompt (the first breaks it, the rest come as DTMF
// events); play_and_get_digits's come 1.5 s into the app (after its 1 s
// prompt), on the app clock: sent from when the script asks, they could
// come before the app started, and park drops them.
func TestSessionDigits(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    sim.dtmf("42#", 500, during = "playback")
    a = session.read(1, 4, "tone_stream://%(1000,0,350)", 5000, "#")
    sim.dtmf("123", 1500, during = "play_and_get_digits")
    b = session.playAndGetDigits(3, 3, 2, 5000, "#", "tone_stream://%(1000,0,350)", "silence_stream://10", "\\d+", "choice")
    sim.dtmf("9", 1500, during = "play_and_get_digits")
    c = session.playAndGetDigits(1, 1, 1, 5000, "#", "silence_stream://10", "", "")
    sim.dtmf("77#", 100)
    d = session.getDigits(5, "#", 3000)
    e = session.getDigits(5, "#", 100)
    return [a, b, sim.var("choice"), c, d, e]
`, nil)
	c.check(t, `["42", "123", "123", "9", "77", ""]`)
	c.apps(t, "answer",
		"playback tone_stream://%(1000,0,350)", // read's prompt; the digits come from the DTMF events
		`play_and_get_digits 3 3 2 5000 # 'tone_stream://%(1000,0,350)' silence_stream://10 choice '\\d+'`,
		"play_and_get_digits 1 1 1 5000 # silence_stream://10 '' fsstar_digits ''")
	// getDigits runs no app: the keys come from the DTMF events, as
	// switch_ivr_collect_digits_count takes them from the channel.
}

// TestSessionGetDigitsNoPreAnswer pins getDigits as mod_lua's: before the
// answer it sends no media (the read app would pre-answer), honours
// interdigit and abstimeout, and leaves the keys after a terminator as
// type-ahead.
func TestSessionGetDigitsNoPreAnswer(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    sim.dtmf("12#34", 50)
    a = session.getDigits(5, "#", 2000)
    b = session.getDigits(5, "#", 2000)
    sim.dtmf("5", 50)
    t0 = time.now()
    c = session.getDigits(3, "", 2000, 300)
    slow = (time.now() - t0) / time.millisecond
    t0 = time.now()
    d = session.getDigits(3, "", 5000, 0, 400)
    abs_ms = (time.now() - t0) / time.millisecond
    return [a, b, c, d, session.mediaReady(), session.answered(), slow < 1500, abs_ms >= 350 and abs_ms < 1500]
`, nil)
	c.check(t, `["12", "34", "5", "", False, False, True, True]`)
	c.apps(t)
}

func TestSessionCollectDigitsAndFlush(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    got = []
    def on_input(session, what, obj):
        got.append(obj.digit)
        if obj.digit == "#":
            return "break"
    session.answer()
    session.setInputCallback(on_input)
    sim.dtmf("12#3", 100)
    session.collectDigits(5000)
    first = list(got)
    session.flushDigits()
    session.unsetInputCallback()
    return [first, sim.media()]
`, nil)
	c.check(t, `[["1", "2", "#"], ""]`)
	c.apps(t, "answer", "flush_dtmf")
}

func TestSessionMediaApps(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.preAnswer()
    out = [session.mediaReady(), session.answered()]
    session.answer()
    out.append(session.streamFile("ivr/welcome.wav", 800))
    out.append(session.sleep(100))
    session.say("1234", "en", "number", "pronounced")
    session.say("5", "en", "number", "pronounced", "feminine")
    session.sayPhrase("voicemail_menu", "1:2")
    out.append(session.speak("hello"))
    session.set_tts_params("flite", "kal")
    out.append(session.speak("hello world"))
    out.append(session.recordFile("/tmp/msg.wav", 30, 200, 3))
    session.execute("playback", "silence_stream://10")
    return out
`, nil)
	// speak without set_tts_params is mod_lua's "No TTS engine specified":
	// 1 (SWITCH_STATUS_FALSE), no app (the speak app would hang up).
	c.check(t, `[True, False, 1, 1, 1, 1, 1]`)
	c.apps(t, "pre_answer", "answer", "playback ivr/welcome.wav@@800", "sleep 100",
		"say en number pronounced 1234", "say en number pronounced feminine 5", "phrase voicemail_menu,1:2",
		"speak flite|kal|hello world", "record /tmp/msg.wav 30 200 3", "playback silence_stream://10")
}

func TestSessionErrors(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct{ src, want string }{
		{`session.insertFile("a", "b", 0)`, "Session.insertFile: not available over the event socket"},
		{`session.sayPhrase("m", "d", "de")`, "Session.sayPhrase: phrase_lang cannot be passed"},
		{`session.streamFile()`, "Session.streamFile: missing argument for file"},
		{`session.setVariable("a b", "c")`, `Session.setVariable: invalid variable name "a b"`},
		{`session.read(3, 1, "f", 1, "#")`, "Session.read: want 0 <= min_digits <= max_digits"},
		{`session.originate(None, "user/1000")`, "Session.originate: the call's own session cannot originate"},
		{"session.destroy()\n    session.answer()", "Session.answer: the session was destroyed"},
	} {
		c := r.call("def handler(session, args):\n    "+tc.src, nil)
		if c.err == nil || !strings.Contains(c.err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.src, c.err, tc.want)
		}
	}
}

func TestSessionAutoHangupAndTransfer(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    session.setAutoHangup(False)
`, nil)
	c.check(t, "None")
	if c.session.AutoHangup() {
		t.Fatal("AutoHangup after setAutoHangup(False)")
	}
	r.sw.RouteApps("9999", esltestApp("playback", "silence_stream://10"))
	c = r.call(`
def on_hangup(session, what):
    return what

def handler(session, args):
    session.answer()
    session.setHangupHook(on_hangup)
    n = session.transfer("9999", "XML", "default")
    return [n, session.ready()]
`, nil)
	// As CoreSession: transfer returns 1, and the channel is not ready
	// once transferred away.
	c.check(t, "[1, False]")
	if !c.session.Transferred() || c.session.HangupWhat() != "transfer" {
		t.Fatalf("Transferred %v, HangupWhat %q", c.session.Transferred(), c.session.HangupWhat())
	}
	if strings.Join(c.hook, "|") != `"transfer"` {
		t.Fatalf("hook %q", c.hook)
	}
}

func TestSessionOriginateAndBridge(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    b = freeswitch.Session("user/1000", session)
    out = [b.ready(), b.answered(), b.uuid != session.uuid, b.getVariable("fsstar_a_leg_uuid") == session.uuid]
    sim.hangup_uuid_after(b.uuid, "NORMAL_CLEARING", 300)
    freeswitch.bridge(session, b)  # blocks until b hangs up, as mod_lua's bridge
    out += [session.bridged(), b.bridged(), session.ready(), b.ready()]
    c = freeswitch.Session()
    out.append(c.originate(session, "error/user_busy", 5))
    out += [c.ready(), c.hangupCause()]
    return out
`, nil)
	// After the bridge the a-leg is still the script's (park_after_bridge).
	// originate gives 1 (SWITCH_STATUS_FALSE) when the leg did not answer, as CoreSession::originate.
	c.check(t, `[True, True, True, True, False, False, True, False, 1, False, "USER_BUSY"]`)
}

// TestSessionOriginateInheritsALeg: a leg originated for an a-leg gets the
// a-leg's exported variables and caller ID, and the a-leg gets the
// originate's result variables, as switch_ivr_originate does under mod_lua
// (differential scenario originate_inherits_a_leg).
func TestSessionOriginateInheritsALeg(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    session.execute("export", "diff_exp=exported one")
    session.execute("export", "nolocal:diff_nl=nolocal; two")
    session.setVariable("diff_plain", "plain")
    session.setVariable("effective_caller_id_name", "Eff Name")
    b = freeswitch.Session("{diff_x=1}user/1000", session)
    out = [b.getVariable(v) for v in ["caller_id_name", "diff_exp", "diff_nl", "diff_plain", "diff_x",
                                      "origination_caller_id_name", "export_vars"]]
    out.append(b.getVariable("originator") == session.uuid)
    out += [session.getVariable(v) for v in ["diff_nl", "originate_disposition", "DIALSTATUS"]]
    out += [session.getVariable("signal_bond") == b.uuid, session.getVariable("originated_legs").split(";")[0] == b.uuid]
    own = freeswitch.Session("{origination_caller_id_name=Own}user/1000", session)
    out.append(own.getVariable("caller_id_name"))
    out.append(session.getVariable("originate_causes").startswith("ARRAY::" + b.uuid + ";NONE|:"))
    c = freeswitch.Session("error/user_busy", session)
    out += [session.getVariable("originate_disposition"), session.getVariable("DIALSTATUS")]
    return out
`, nil)
	c.check(t, `["Eff Name", "exported one", "nolocal; two", None, "1", None, "diff_exp,nolocal:diff_nl", True, None, "SUCCESS", "SUCCESS", True, True, "Own", True, "USER_BUSY", "BUSY"]`)
}

// TestSessionSpeechAndFields: playAndDetectSpeech and detectSpeech run the
// switch's speech apps with their arguments escaped, CoreSession's public
// fields read as under mod_lua, and getPrivate gives None (scenarios
// session_fields, play_and_detect_speech_no_engine and
// detect_speech_no_engine on the real switch).
func TestSessionSpeechAndFields(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    out = [session.tts_name, session.voice_name, session.flags, session.allocated, session.cause, session.hook_state]
    session.set_tts_params("flite", "kal")
    out += [session.tts_name, session.voice_name, session.getPrivate("x")]
    out.append(session.playAndDetectSpeech("/tmp/a b.wav", "eng ine", "${md5(x)}"))
    session.detectSpeech("eng", "gram", "name", "/tmp/g.gram")
    session.detectSpeech("grammar", "only_name")  # needs a path too: nothing is sent
    session.detectSpeech("stop")
    session.hangup("USER_BUSY")
    out += [session.cause, session.playAndDetectSpeech("x.wav", "e", "g")]
    return out
`, nil)
	c.check(t, `[None, None, 0, 1, "NONE", "CS_EXECUTE", "flite", "kal", None, "", "USER_BUSY", ""]`)
	var got []string
	for _, a := range c.ch.Apps() {
		if strings.Contains(a.Name, "speech") || a.Name == "set" {
			got = append(got, a.Name+"("+strings.Join(a.Args, "|")+")")
		}
	}
	want := []string{
		"play_and_detect_speech(/tmp/a b.wav|eng ine|${md5(x)})",
		"detect_speech(eng|gram|name|/tmp/g.gram)",
		"detect_speech(stop)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("speech apps\n got %q\nwant %q", got, want)
	}
	if v := c.ch.Var("fire_asr_events"); v != "true" {
		t.Fatalf("fire_asr_events = %q, want true once detection started", v)
	}
}

// TestSessionBridgedByOtherClient: bridged() is true for both legs of a
// bridge another client made, and false once it ended (scenario
// bridged_by_other_client on the real switch).
func TestSessionBridgedByOtherClient(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    x = freeswitch.Session("user/1000")
    y = freeswitch.Session("user/1001")
    x.setVariable("park_after_bridge", "true")
    y.setVariable("park_after_bridge", "true")
    out = [x.bridged(), y.bridged()]
    freeswitch.API().execute("uuid_bridge", x.uuid + " " + y.uuid)
    for _ in range(5000):  # simulated time: bounds a wait for the switch, not a speed
        if x.bridged() and y.bridged():
            break
        session.sleep(20)
    out += [x.bridged(), y.bridged()]
    freeswitch.API().execute("uuid_transfer", y.uuid + " park inline")
    for _ in range(5000):  # simulated time: bounds a wait for the switch, not a speed
        if not x.bridged() and not y.bridged():
            break
        session.sleep(20)
    out += [x.bridged(), y.bridged(), x.ready(), y.ready()]
    return out
`, nil)
	c.check(t, `[False, False, True, True, False, False, True, True]`)
}

// TestSessionAnswerWhenAnswered: answer() and preAnswer() on a channel
// already answered run nothing (switch_channel_answer returns at once under
// mod_lua) and still return 1.
func TestSessionAnswerWhenAnswered(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    first = session.answer()
    return [first, session.answer(), session.preAnswer(), session.answered()]
`, nil)
	c.check(t, `[1, 1, 1, True]`)
	n := 0
	for _, a := range c.ch.Apps() {
		if a.Name == "answer" || a.Name == "pre_answer" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d answer/pre_answer apps ran, want 1 (the first answer): %v", n, c.ch.Apps())
	}
}

func TestSessionAttachByUUID(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    other = freeswitch.Session(session.uuid)
    other.setVariable("fsstar_from_attach", "yes")
    e = freeswitch.Event("CUSTOM", "fsstar::data")
    other.setEventData(e)
    xml = other.getXMLCDR()
    other.waitForAnswer(session)
    return [other.ready(), other.answered(), session.getVariable("fsstar_from_attach"),
            e.getHeader("Unique-ID") == session.uuid, e.getHeader("variable_fsstar_from_attach"),
            "<fsstar_from_attach>yes</fsstar_from_attach>" in xml and "<uuid>" + session.uuid + "</uuid>" in xml and xml.startswith("<?xml version=\"1.0\"?>\n<cdr "), str(other) == str(session), other == session]
`, nil)
	c.check(t, `[True, True, "yes", True, "yes", True, True, True]`)
	cases := []string{`freeswitch.Session("00000000-0000-0000-0000-000000000000")`}
	for _, src := range cases {
		c := r.call("def handler(session, args):\n    "+src, nil)
		if c.err == nil || !strings.Contains(c.err.Error(), "freeswitch.Session: no channel 00000000") {
			t.Errorf("%s: err = %v", src, c.err)
		}
	}
}

func TestSessionSendEvent(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    con = freeswitch.EventConsumer("CUSTOM", "fsstar::session")
    e = freeswitch.Event("CUSTOM", "fsstar::session")
    e.addHeader("x", "1")
    session.sendEvent(e)
    got = con.pop(1, 2000)
    return [got.getHeader("Unique-ID") == session.uuid, got.getHeader("x")]
`, nil)
	c.check(t, `[True, "1"]`)
}

func TestSessionInboundRemoteHangup(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    b = freeswitch.Session("user/1000")
    freeswitch.API().execute("uuid_kill", b.uuid + " CALL_REJECTED")
    n = b.streamFile("tone_stream://%(1000,0,440)")
    return [n, b.ready(), b.hangupCause(), b.read(1, 2, "x.wav", 100, "#")]
`, nil)
	c.check(t, `[0, False, "CALL_REJECTED", ""]`)
	c = r.call(`
def handler(session, args):
    b = freeswitch.Session("user/1000")
    freeswitch.API().execute("uuid_kill", b.uuid)
    b.sleep(10000)
    b.setVariable("x", "y")
`, nil)
	if c.err == nil || !regexp.MustCompile(`Session\.setVariable: [0-9a-f-]{36}: session hung up`).MatchString(c.err.Error()) || !errors.Is(c.err, ErrHungUp) {
		t.Fatalf("err = %v", c.err)
	}
}

// TestSessionHungUpErrors: each method that cannot act on a channel that
// hung up fails with hungUpErr's error, which names the method and the
// channel and matches ErrHungUp, on a leg of the outbound socket and on one
// the script opened. A method that built its own error, or let the
// package's errGone through, fails here.
func TestSessionHungUpErrors(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    b = freeswitch.Session("user/1000")
    b2 = freeswitch.Session("user/1001")
    freeswitch.API().execute("uuid_kill", b2.uuid)
    b2.sleep(10000)  # returns at the hangup
    session.hangup()
    e = freeswitch.Event("CUSTOM", "fsstar::gone")
    got = {
        "setVariable": sim.hung_up(session.setVariable, "x", "y"),
        "transfer": sim.hung_up(session.transfer, "1000"),
        "sendEvent": sim.hung_up(session.sendEvent, e),
        "bridge": sim.hung_up(freeswitch.bridge, session, b),
        "bridge b": sim.hung_up(freeswitch.bridge, b, b2),
        "b2.setVariable": sim.hung_up(b2.setVariable, "x", "y"),
        "b2.transfer": sim.hung_up(b2.transfer, "1000"),
        "b2.sendEvent": sim.hung_up(b2.sendEvent, e),
    }
    b.hangup()
    return [b.uuid, b2.uuid, got]
`, nil)
	if c.err != nil {
		t.Fatalf("script error: %v", c.err)
	}
	out := c.value.(*starlark.List)
	a, b, b2 := c.session.UUID(), string(out.Index(0).(starlark.String)), string(out.Index(1).(starlark.String))
	want := map[string]string{
		"setVariable":    "Session.setVariable: " + a,
		"transfer":       "Session.transfer: " + a,
		"sendEvent":      "Session.sendEvent: " + a,
		"bridge":         "freeswitch.bridge: " + a,
		"bridge b":       "freeswitch.bridge: " + b2,
		"b2.setVariable": "Session.setVariable: " + b2,
		"b2.transfer":    "Session.transfer: " + b2,
		"b2.sendEvent":   "Session.sendEvent: " + b2,
	}
	got := out.Index(2).(*starlark.Dict)
	if got.Len() != len(want) {
		t.Fatalf("got %d errors, want %d: %s", got.Len(), len(want), got)
	}
	for k, w := range want {
		v, _, _ := got.Get(starlark.String(k))
		if s, _ := v.(starlark.String); string(s) != w+": session hung up" {
			t.Errorf("%s: error %s, want %q", k, v, w+": session hung up")
		}
	}
	if b == a || b == b2 {
		t.Fatalf("leg uuids %s %s %s are not distinct", a, b, b2)
	}
}

func TestNewInboundSession(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	out, err := r.client.API(ctx, "originate {origination_uuid=11111111-2222-4333-8444-555555555555}user/1000 &park()")
	if err != nil || !strings.HasPrefix(out, "+OK") {
		t.Fatalf("originate: %q %v", out, err)
	}
	call := newCall(t)
	s, err := NewInboundSession(call, r.client, "11111111-2222-4333-8444-555555555555")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Ready() || s.UUID() != "11111111-2222-4333-8444-555555555555" {
		t.Fatalf("Ready %v, uuid %s", s.Ready(), s.UUID())
	}
	r.sw.Channel(s.UUID()).Hangup("USER_BUSY")
	if _, err := r.sw.Channel(s.UUID()).WaitHangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := NewInboundSession(call, r.client, "11111111-2222-4333-8444-000000000000"); err == nil || !strings.Contains(err.Error(), "no channel") {
		t.Fatalf("unknown uuid: %v", err)
	}
	if _, err := NewInboundSession(call, nil, "x"); err == nil {
		t.Fatal("no client: no error")
	}
}

func TestSessionInputCallbackPauseResume(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    def on_input(session, what, obj):
        return "pause"  # a toggle, as in FreeSWITCH
    session.answer()
    session.setInputCallback(on_input)
    # On the playback's app clock, which runs on while it is paused.
    # The tone lasts 100 ms of real time: time enough for the callback's
    # pause to come back before it ends, however busy the machine.
    sim.dtmf("1", 100, during = "playback")
    sim.dtmf("2", 30000, during = "playback")  # 300 ms of real time in
    t0 = time.now()
    n = session.streamFile("tone_stream://%(10000,0,440)")
    return [n, time.now() - t0 > 200 * time.millisecond, sim.var("playback_ms"), sim.media()]
`, nil)
	c.check(t, `[1, True, "10000", "fileman pause, fileman pause"]`)
}

// In static mode (socket without "async full") there is no api on the
// call's connection: variables go through getvar and the set app.
func TestSessionStaticMode(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    session.setVariable("fsstar_static", "s1")
    n = session.streamFile("tone_stream://%(100,0,440)")
    return [session.answered(), session.getVariable("fsstar_static"), session.getVariable("fsstar_nope"), n, session.ready()]
`, nil, esltest.Static())
	c.check(t, `[True, "s1", None, 1, True]`)
	c.apps(t, "answer", "set fsstar_static=s1", "playback tone_stream://%(100,0,440)")
}

func TestSessionMoreState(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    session.flushEvents()
    out = [session.get_uuid() == session.uuid, session.hangupState()]
    session.waitForAnswer(1)
    b = freeswitch.Session("user/1000")
    b.destroy()
    out.append(b.ready())
    sim.note(b.uuid)
    con = freeswitch.EventConsumer("CUSTOM", "fsstar::fire")
    e = freeswitch.Event("CUSTOM", "fsstar::fire")
    e.fire()  # over the call's own connection
    out.append(con.pop(1, 2000).getHeader("Event-Subclass"))
    return out
`, nil)
	// hangupState() runs the hangup state handlers in mod_lua and returns nothing.
	c.check(t, `[True, None, False, "fsstar::fire"]`)
	b := r.sw.Channel(c.notes[0])
	if cause, err := b.WaitHangup(t.Context()); err != nil || cause != "NORMAL_CLEARING" {
		t.Fatalf("destroy: b-leg cause %q, %v (auto hangup is on)", cause, err)
	}

	c = r.call(`
def handler(session, args):
    session.answer()
    session.setAutoHangup(False)
    session.destroy()
    return session.ready()
`, nil)
	c.check(t, "False")
	c.apps(t, "answer") // no hangup: auto hangup is off (the dialplan went on)
}

// TestOriginatedLegsHungUpAtScriptEnd: as CoreSession::destroy (S_HUP),
// a leg the script originated is hung up when the script ends, unless
// the script turned its auto-hangup off.
func TestOriginatedLegsHungUpAtScriptEnd(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    kept = freeswitch.Session("user/1000")
    kept.setAutoHangup(False)
    left = freeswitch.Session("user/1001")
    return [left.uuid, kept.uuid, left.ready(), kept.ready()]
`, nil)
	if c.err != nil {
		t.Fatal(c.err)
	}
	l := c.value.(*starlark.List)
	left, kept := r.sw.Channel(string(l.Index(0).(starlark.String))), r.sw.Channel(string(l.Index(1).(starlark.String)))
	if left == nil || kept == nil || l.Index(2) != starlark.True || l.Index(3) != starlark.True {
		t.Fatalf("legs not originated: %v", c.value)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if cause, err := left.WaitHangup(ctx); err != nil || cause != "NORMAL_CLEARING" {
		t.Errorf("the left leg: cause %q, %v; want hung up with NORMAL_CLEARING", cause, err)
	}
	if cause := kept.HangupCause(); cause != "" {
		t.Errorf("the leg with auto-hangup off was hung up (%s)", cause)
	}
	kept.Hangup("NORMAL_CLEARING")
}

// TestSessionTypeahead: keys pressed during a prompt without an input
// callback, or between commands, reach the next getDigits, as under mod_lua
// (the playback app and the socket's park dequeue them on the switch;
// fsstar keeps them from the DTMF events and gives them back). flushDigits
// drops them.
func TestSessionTypeahead(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    sim.dtmf("12", 300)
    session.streamFile("tone_stream://%(2000,0,440)")
    during = session.getDigits(2, "#", 1500)
    sim.dtmf("7", 0)
    freeswitch.msleep(300)
    between = session.getDigits(1, "", 1500)
    sim.dtmf("9", 0)
    freeswitch.msleep(300)
    session.flushDigits()
    flushed = session.getDigits(1, "", 500)
    return [during, between, flushed]
`, nil)
	c.check(t, `["12", "7", ""]`)
}

// TestDTMFValueInCallback: the callback's DTMF compares with
// freeswitch.DTMF (it was a pointer, and the comparison crashed), and
// EventConsumer.bind returns 1 as mod_lua's.
func TestDTMFValueInCallback(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    seen = []
    def on_input(s, what, obj):
        seen.append(obj == freeswitch.DTMF("5", obj.duration) and obj != freeswitch.DTMF("6"))
        return "break"
    session.answer()
    session.setInputCallback(on_input)
    sim.dtmf("5", 200)
    session.streamFile("tone_stream://%(2000,0,440)")
    return [seen, freeswitch.EventConsumer("CUSTOM", "a::b").bind("CUSTOM", "c::d")]
`, nil)
	c.check(t, "[[True], 1]")
}

// TestSessionModLuaAliases: session.consoleLog / consoleLog2 and the
// deprecated set_tts_parms exist as in mod_lua; Event.setPriority sets the
// priority header.
func TestSessionModLuaAliases(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    session.consoleLog("info", "from the session")
    session.consoleLog2("warning", "x.star", "f", 3, "placed")
    session.set_tts_parms("flite", "kal")
    e = freeswitch.Event("CUSTOM", "a::b")
    e.setPriority(2)
    return [session.speak("hi"), e.getHeader("priority")]
`, nil)
	c.check(t, `[1, "HIGH"]`)
	c.apps(t, "answer", "speak flite|kal|hi")
}

// TestOwnHangupHook: the hangup hook of a leg the script opened with
// freeswitch.Session runs on the script's thread at its first method call
// after the leg hung up, as mod_lua's check_hangup_hook.
func TestOwnHangupHook(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    seen = []
    def on_hangup(s, what, log):
        log.append(what)
    leg = freeswitch.Session("user/1000")
    leg.setHangupHook(on_hangup, seen)
    before = list(seen)
    sim.hangup_uuid_after(leg.uuid, "NORMAL_CLEARING", 0)
    for _ in range(200):
        if not leg.ready():
            break
        freeswitch.msleep(10)
    return [before, seen, leg.ready()]
`, nil)
	c.check(t, `[[], ["hangup"], False]`)
}

// TestSessionPlayAndGetDigitsTransferOnFailure: when play_and_get_digits
// fails with transfer_on_failure, the switch transfers the channel before
// the app ends; as CF_TRANSFER under mod_lua, ready() is False at once
// (not only once the socket's EXECUTE_COMPLETE arrives) and the call is
// not hung up at the script's end.
func TestSessionPlayAndGetDigitsTransferOnFailure(t *testing.T) {
	r := newRig(t)
	r.sw.RouteApps("9998", esltestApp("playback", "silence_stream://10"))
	c := r.call(`
def handler(session, args):
    session.answer()
    got = session.playAndGetDigits(1, 1, 1, 200, "#", "silence_stream://10", "", "\\d", "x", 100, "9998 XML default")
    return [got, session.ready()]
`, nil)
	c.check(t, `["", False]`)
	if !c.session.Transferred() {
		t.Fatal("Transferred() is false after play_and_get_digits' transfer_on_failure")
	}
}
