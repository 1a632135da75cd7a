package tests

import (
	"io"
	"net/http"
	"strings"
	"time"
)

// Media used by the scenarios: tones need no sound files.
const (
	tone1 = "tone_stream://%(1000,0,440)"
	tone2 = "tone_stream://%(2000,0,440)"
	tone3 = "tone_stream://%(3000,0,440)"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// park is the dial string of an originated leg that answers and parks,
// tagged so that a leg left behind is counted.
const luaPark = `"{diff_run=" .. run .. "}loopback/park/fsstar_test"`
const starPark = `"{diff_run=" + run_of(session) + "}loopback/park/fsstar_test"`

// scenarios are the differential scenarios (see differential_test.go). The
// Lua and Starlark sides do the same thing, each in its language's idiom.
var scenarios = []scenario{
	// --- answer, hangup, variables -------------------------------------
	{name: "answer_hangup_cause",
		lua: `session:answer()
put("answered", session:answered())
session:hangup("USER_BUSY")`,
		star: `def handler(session, args):
    session.answer()
    put(session, "answered", session.answered())
    session.hangup("USER_BUSY")`},
	{name: "setvar_quotes_backslashes",
		lua:  `session:answer(); session:setVariable("diff_q", "it's 'quoted' C:\\new a\\\\b")`,
		star: "def handler(session, args):\n    session.answer()\n    session.setVariable(\"diff_q\", \"it's 'quoted' C:\\\\new a\\\\\\\\b\")"},
	{name: "setvar_dollar_as_data",
		lua:  `session:answer(); session:setVariable("diff_d", "${md5(abc)} $${hold_music} \\${x}")`,
		star: "def handler(session, args):\n    session.answer()\n    session.setVariable(\"diff_d\", \"${md5(abc)} $${hold_music} \\\\${x}\")"},
	{name: "setvar_multiline",
		lua:  `session:answer(); session:setVariable("diff_m", "a\nb\n c ")`,
		star: "def handler(session, args):\n    session.answer()\n    session.setVariable(\"diff_m\", \"a\\nb\\n c \")"},
	{name: "setvar_long_roundtrip",
		lua: `session:answer()
session:setVariable("diff_long_src", string.rep("x", 1500))
put("len", #session:getVariable("diff_long_src"))`,
		star: `def handler(session, args):
    session.answer()
    session.setVariable("diff_long_src", "x" * 1500)
    put(session, "len", len(session.getVariable("diff_long_src")))`},
	{name: "getvar_undefined",
		lua:  `session:answer(); put("undef", session:getVariable("diff_never_set_anywhere") == nil)`,
		star: "def handler(session, args):\n    session.answer()\n    put(session, \"undef\", session.getVariable(\"diff_never_set_anywhere\") == None)"},
	{name: "getvar_profile_field",
		lua:  `session:answer(); put("dest", session:getVariable("destination_number"))`,
		star: "def handler(session, args):\n    session.answer()\n    put(session, \"dest\", session.getVariable(\"destination_number\"))"},
	{name: "global_roundtrip",
		lua: `session:answer()
freeswitch.setGlobalVariable("diff_global", "a=b 'c' d")
put("g", freeswitch.getGlobalVariable("diff_global"))`,
		star: `def handler(session, args):
    session.answer()
    freeswitch.setGlobalVariable("diff_global", "a=b 'c' d")
    put(session, "g", freeswitch.getGlobalVariable("diff_global"))`},
	{name: "global_unset_is_nil",
		lua:  `session:answer(); put("g", freeswitch.getGlobalVariable("diff_global_never_set") == nil)`,
		star: "def handler(session, args):\n    session.answer()\n    put(session, \"g\", freeswitch.getGlobalVariable(\"diff_global_never_set\") == None)"},
	{name: "execute_expands",
		lua:  `session:answer(); session:execute("set", "diff_e=${md5(abc)}")`,
		star: "def handler(session, args):\n    session.answer()\n    session.execute(\"set\", \"diff_e=${md5(abc)}\")"},

	// --- media ------------------------------------------------------------
	{name: "stream_tone",
		lua:  `session:answer(); put("r", session:streamFile("` + tone1 + `"))`,
		star: "def handler(session, args):\n    session.answer()\n    put(session, \"r\", session.streamFile(\"" + tone1 + "\"))"},
	{name: "stream_missing_file",
		lua:  `session:answer(); put("r", session:streamFile("/tmp/fsstar-diff-no-such-file.wav"))`,
		star: "def handler(session, args):\n    session.answer()\n    put(session, \"r\", session.streamFile(\"/tmp/fsstar-diff-no-such-file.wav\"))"},
	{name: "stream_star_key",
		lua: `session:answer(); mark("play")
local t0 = now(); session:streamFile("` + tone3 + `"); put("play_ms", now() - t0)`,
		star: `def handler(session, args):
    session.answer()
    mark(session, "play")
    t0 = now()
    session.streamFile("` + tone3 + `")
    put(session, "play_ms", now() - t0)`,
		caller: []callerAction{{mark: "play", after: ms(600), dtmf: "*"}}},
	{name: "stream_callback_break",
		lua: `got = ""
cbarg = "!" -- mod_lua passes the global of that name to the callback
function on_input(s, what, obj, arg)
  if what == "dtmf" then got = got .. obj.digit .. arg; return "break" end
end
session:answer(); session:setInputCallback("on_input", "cbarg"); mark("play")
local t0 = now(); session:streamFile("` + tone3 + `"); put("play_ms", now() - t0); put("got", got)`,
		star: `def handler(session, args):
    got = []

    def on_input(s, what, obj, arg):
        if what == "dtmf":
            got.append(obj.digit + arg)
            return "break"
    session.answer()
    session.setInputCallback(on_input, "!")
    mark(session, "play")
    t0 = now()
    session.streamFile("` + tone3 + `")
    put(session, "play_ms", now() - t0)
    put(session, "got", "".join(got))`,
		caller: []callerAction{{mark: "play", after: ms(600), dtmf: "5"}}},
	{name: "stream_callback_continue",
		lua: `got = ""
function on_input(s, what, obj)
  if what == "dtmf" then got = got .. obj.digit end
  return ""
end
session:answer(); session:setInputCallback("on_input"); mark("play")
session:streamFile("` + tone2 + `"); put("got", got)`,
		star: `def handler(session, args):
    got = []

    def on_input(s, what, obj):
        if what == "dtmf":
            got.append(obj.digit)
        return ""
    session.answer()
    session.setInputCallback(on_input)
    mark(session, "play")
    session.streamFile("` + tone2 + `")
    put(session, "got", "".join(got))`,
		caller: []callerAction{{mark: "play", after: ms(500), dtmf: "1"}, {mark: "play", after: ms(1000), dtmf: "2"}}},
	{name: "typeahead_then_getdigits",
		lua: `session:answer(); mark("play"); session:streamFile("` + tone2 + `")
put("digits", session:getDigits(2, "#", 1500))`,
		star: `def handler(session, args):
    session.answer()
    mark(session, "play")
    session.streamFile("` + tone2 + `")
    put(session, "digits", session.getDigits(2, "#", 1500))`,
		caller: []callerAction{{mark: "play", after: ms(500), dtmf: "12"}}},
	{name: "dtmf_between_commands",
		lua: `session:answer(); mark("wait"); freeswitch.msleep(1000)
put("digits", session:getDigits(1, "", 1500))`,
		star: `def handler(session, args):
    session.answer()
    mark(session, "wait")
    freeswitch.msleep(1000)
    put(session, "digits", session.getDigits(1, "", 1500))`,
		caller: []callerAction{{mark: "wait", after: ms(300), dtmf: "7"}}},
	{name: "sleep_ignores_dtmf",
		lua: `session:answer(); mark("sleep"); local t0 = now(); session:sleep(2000); put("sleep_ms", now() - t0)`,
		star: `def handler(session, args):
    session.answer()
    mark(session, "sleep")
    t0 = now()
    session.sleep(2000)
    put(session, "sleep_ms", now() - t0)`,
		caller: []callerAction{{mark: "sleep", after: ms(400), dtmf: "3"}}},
	{name: "say_text_with_blank",
		lua:  `session:answer(); session:say("ab cd", "en", "name_spelled", "iterated"); put("done", true)`,
		star: "def handler(session, args):\n    session.answer()\n    session.say(\"ab cd\", \"en\", \"name_spelled\", \"iterated\")\n    put(session, \"done\", True)"},
	{name: "say_phrase_unknown_macro",
		lua:  `session:answer(); session:sayPhrase("diff_no_such_macro", "1"); put("done", true)`,
		star: "def handler(session, args):\n    session.answer()\n    session.sayPhrase(\"diff_no_such_macro\", \"1\")\n    put(session, \"done\", True)"},
	{name: "speak_without_engine",
		lua:  `session:answer(); session:speak("hello"); put("ready", session:ready())`,
		star: "def handler(session, args):\n    session.answer()\n    session.speak(\"hello\")\n    put(session, \"ready\", session.ready())"},
	{name: "record_file",
		lua:   `session:answer(); session:recordFile("/tmp/fsstar-diff-rec-" .. impl .. ".wav", 1); put("done", true)`,
		star:  "def handler(session, args):\n    session.answer()\n    session.recordFile(\"/tmp/fsstar-diff-rec-\" + impl + \".wav\", 1)\n    put(session, \"done\", True)",
		files: []string{"/tmp/fsstar-diff-rec-{impl}.wav"}},

	// --- digits -------------------------------------------------------------
	{name: "getdigits_terminated",
		lua:    `session:answer(); mark("in"); put("digits", session:getDigits(5, "#", 3000))`,
		star:   "def handler(session, args):\n    session.answer()\n    mark(session, \"in\")\n    put(session, \"digits\", session.getDigits(5, \"#\", 3000))",
		caller: []callerAction{{mark: "in", after: ms(300), dtmf: "123#"}}},
	{name: "getdigits_timeout",
		lua:  `session:answer(); local t0 = now(); put("digits", session:getDigits(3, "#", 1200)); put("wait_ms", now() - t0)`,
		star: "def handler(session, args):\n    session.answer()\n    t0 = now()\n    put(session, \"digits\", session.getDigits(3, \"#\", 1200))\n    put(session, \"wait_ms\", now() - t0)"},
	{name: "getdigits_maxdigits",
		lua:    `session:answer(); mark("in"); put("digits", session:getDigits(3, "#", 3000))`,
		star:   "def handler(session, args):\n    session.answer()\n    mark(session, \"in\")\n    put(session, \"digits\", session.getDigits(3, \"#\", 3000))",
		caller: []callerAction{{mark: "in", after: ms(300), dtmf: "98765"}}},
	{name: "read_success",
		lua:    `session:answer(); mark("in"); put("digits", session:read(1, 4, "` + tone1 + `", 3000, "#"))`,
		star:   "def handler(session, args):\n    session.answer()\n    mark(session, \"in\")\n    put(session, \"digits\", session.read(1, 4, \"" + tone1 + "\", 3000, \"#\"))",
		caller: []callerAction{{mark: "in", after: ms(300), dtmf: "42#"}}},
	{name: "read_timeout",
		lua:  `session:answer(); put("digits", session:read(2, 4, "` + tone1 + `", 1000, "#"))`,
		star: "def handler(session, args):\n    session.answer()\n    put(session, \"digits\", session.read(2, 4, \"" + tone1 + "\", 1000, \"#\"))"},
	{name: "read_short_timeout",
		lua: `session:answer(); local t0 = now()
put("digits", session:read(1, 2, "silence_stream://100", 500, "#")); put("wait_ms", now() - t0)
put("rr", session:getVariable("read_result"))`,
		star: `def handler(session, args):
    session.answer()
    t0 = now()
    put(session, "digits", session.read(1, 2, "silence_stream://100", 500, "#"))
    put(session, "wait_ms", now() - t0)
    put(session, "rr", session.getVariable("read_result"))`},
	{name: "read_prompt_typeahead",
		lua: `session:answer(); mark("keys"); session:sleep(600)
put("digits", session:read(1, 3, "` + tone3 + `", 1500, "#"))
put("rr", session:getVariable("read_result")); put("rt", session:getVariable("read_terminator_used"))`,
		star: `def handler(session, args):
    session.answer()
    mark(session, "keys")
    session.sleep(600)
    put(session, "digits", session.read(1, 3, "` + tone3 + `", 1500, "#"))
    put(session, "rr", session.getVariable("read_result"))
    put(session, "rt", session.getVariable("read_terminator_used"))`,
		caller: []callerAction{{mark: "keys", after: ms(100), dtmf: "12#"}}},
	{name: "read_digit_timeout",
		lua: `session:answer(); mark("in"); local t0 = now()
put("digits", session:read(1, 4, "` + tone1 + `", 3000, "#", 600)); put("wait_ms", now() - t0)`,
		star: `def handler(session, args):
    session.answer()
    mark(session, "in")
    t0 = now()
    put(session, "digits", session.read(1, 4, "` + tone1 + `", 3000, "#", 600))
    put(session, "wait_ms", now() - t0)`,
		caller: []callerAction{{mark: "in", after: ms(300), dtmf: "7"}}},
	{name: "pagd_success",
		lua:    `session:answer(); mark("in"); put("digits", session:playAndGetDigits(2, 4, 1, 3000, "#", "` + tone1 + `", "", "\\d+"))`,
		star:   "def handler(session, args):\n    session.answer()\n    mark(session, \"in\")\n    put(session, \"digits\", session.playAndGetDigits(2, 4, 1, 3000, \"#\", \"" + tone1 + "\", \"\", \"\\\\d+\"))",
		caller: []callerAction{{mark: "in", after: ms(300), dtmf: "123#"}}},
	{name: "pagd_partial_failure",
		lua:    `session:answer(); mark("in"); put("digits", session:playAndGetDigits(3, 3, 1, 1500, "#", "` + tone1 + `", "", "\\d+"))`,
		star:   "def handler(session, args):\n    session.answer()\n    mark(session, \"in\")\n    put(session, \"digits\", session.playAndGetDigits(3, 3, 1, 1500, \"#\", \"" + tone1 + "\", \"\", \"\\\\d+\"))",
		caller: []callerAction{{mark: "in", after: ms(300), dtmf: "1"}}},
	{name: "pagd_regex_mismatch",
		lua:    `session:answer(); mark("in"); put("digits", session:playAndGetDigits(2, 2, 1, 2000, "#", "` + tone1 + `", "", "^9\\d$"))`,
		star:   "def handler(session, args):\n    session.answer()\n    mark(session, \"in\")\n    put(session, \"digits\", session.playAndGetDigits(2, 2, 1, 2000, \"#\", \"" + tone1 + "\", \"\", \"^9\\\\d$\"))",
		caller: []callerAction{{mark: "in", after: ms(300), dtmf: "12"}}},
	{name: "pagd_var_name",
		lua:    `session:answer(); mark("in"); session:playAndGetDigits(1, 2, 1, 2000, "#", "` + tone1 + `", "", "\\d+", "diff_pagd_var")`,
		star:   "def handler(session, args):\n    session.answer()\n    mark(session, \"in\")\n    session.playAndGetDigits(1, 2, 1, 2000, \"#\", \"" + tone1 + "\", \"\", \"\\\\d+\", \"diff_pagd_var\")",
		caller: []callerAction{{mark: "in", after: ms(300), dtmf: "77"}}},
	{name: "pagd_transfer_on_failure",
		lua:    `session:answer(); mark("in"); session:playAndGetDigits(1, 1, 1, 1000, "#", "silence_stream://100", "", "\\d+", "diff_x", 1000, "park XML fsstar_test")`,
		star:   "def handler(session, args):\n    session.answer()\n    mark(session, \"in\")\n    session.playAndGetDigits(1, 1, 1, 1000, \"#\", \"silence_stream://100\", \"\", \"\\\\d+\", \"diff_x\", 1000, \"park XML fsstar_test\")",
		caller: []callerAction{{mark: "in", after: ms(4000), hangup: "NO_USER_RESPONSE"}}},
	{name: "flush_digits",
		lua:    `session:answer(); mark("in"); freeswitch.msleep(600); session:flushDigits(); put("digits", session:getDigits(1, "", 800))`,
		star:   "def handler(session, args):\n    session.answer()\n    mark(session, \"in\")\n    freeswitch.msleep(600)\n    session.flushDigits()\n    put(session, \"digits\", session.getDigits(1, \"\", 800))",
		caller: []callerAction{{mark: "in", after: ms(200), dtmf: "4"}}},

	// --- originate, bridge ------------------------------------------------
	{name: "originate_and_hangup",
		lua: `session:answer()
local leg = freeswitch.Session(` + luaPark + `)
put("ready", leg:ready()); leg:hangup(); put("after", leg:ready())`,
		star: `def handler(session, args):
    session.answer()
    leg = freeswitch.Session(` + starPark + `)
    put(session, "ready", leg.ready())
    leg.hangup()
    put(session, "after", leg.ready())`},
	{name: "originate_failure_cause",
		lua: `session:answer()
local leg = freeswitch.Session("{diff_run=" .. run .. "}loopback/diff_no_such_ext/fsstar_test")
put("ready", leg:ready()); put("cause", leg:hangupCause())`,
		star: `def handler(session, args):
    session.answer()
    leg = freeswitch.Session("{diff_run=" + run_of(session) + "}loopback/diff_no_such_ext/fsstar_test")
    put(session, "ready", leg.ready())
    put(session, "cause", leg.hangupCause())`},
	{name: "originate_left_to_script_end",
		lua: `session:answer()
local leg = freeswitch.Session(` + luaPark + `)
put("ready", leg:ready())`,
		star: `def handler(session, args):
    session.answer()
    leg = freeswitch.Session(` + starPark + `)
    put(session, "ready", leg.ready())`},
	{name: "originate_ring_all",
		lua: `session:answer()
local leg = freeswitch.Session("{diff_run=" .. run .. "}error/user_busy,loopback/park/fsstar_test")
put("ready", leg:ready()); leg:hangup()`,
		star: `def handler(session, args):
    session.answer()
    leg = freeswitch.Session("{diff_run=" + run_of(session) + "}error/user_busy,loopback/park/fsstar_test")
    put(session, "ready", leg.ready())
    leg.hangup()`},
	{name: "originate_quoted_caller_name",
		lua: `session:answer()
local leg = freeswitch.Session("{diff_run=" .. run .. ",origination_caller_id_name='John Doe'}loopback/park/fsstar_test")
put("cid", leg:getVariable("origination_caller_id_name")); leg:hangup()`,
		star: `def handler(session, args):
    session.answer()
    leg = freeswitch.Session("{diff_run=" + run_of(session) + ",origination_caller_id_name='John Doe'}loopback/park/fsstar_test")
    put(session, "cid", leg.getVariable("origination_caller_id_name"))
    leg.hangup()`},
	{name: "bridge_blocks_until_end",
		lua: `session:answer()
local leg = freeswitch.Session(` + luaPark + `)
leg:execute("sched_hangup", "+2 NORMAL_CLEARING")
local t0 = now(); freeswitch.bridge(session, leg); put("blocked", now() - t0 > 1000); put("ready", session:ready())`,
		star: `def handler(session, args):
    session.answer()
    leg = freeswitch.Session(` + starPark + `)
    leg.execute("sched_hangup", "+2 NORMAL_CLEARING")
    t0 = now()
    freeswitch.bridge(session, leg)
    put(session, "blocked", now() - t0 > 1000)
    put(session, "ready", session.ready())`},

	// --- transfer -----------------------------------------------------------
	{name: "transfer_by_script",
		lua: `session:answer(); mark("x"); session:transfer("park", "XML", "fsstar_test"); put("ready", session:ready())`,
		star: `def handler(session, args):
    session.answer()
    mark(session, "x")
    session.transfer("park", "XML", "fsstar_test")
    put(session, "ready", session.ready())`,
		caller: []callerAction{{mark: "x", after: ms(2500), hangup: "NO_USER_RESPONSE"}}},
	{name: "transfer_by_other_client",
		lua: `session:answer(); mark("x")
wait_until_gone(3000)
put("ready", session:ready())`,
		star: `def handler(session, args):
    session.answer()
    mark(session, "x")
    wait_until_gone(session, 3000)
    put(session, "ready", session.ready())`,
		caller: []callerAction{{mark: "x", after: ms(400), transfer: "park XML fsstar_test"}, {mark: "x", after: ms(5000), hangup: "NO_USER_RESPONSE"}}},

	// --- hooks ----------------------------------------------------------------
	{name: "hangup_hook_runs",
		lua: `function on_hangup(s, what) out("hook", what) end
session:answer(); session:setHangupHook("on_hangup"); mark("x")
wait_until_gone(4000)`,
		star: `def on_hangup(s, what):
    out(s, "hook", what)

def handler(session, args):
    session.answer()
    session.setHangupHook(on_hangup)
    mark(session, "x")
    wait_until_gone(session, 4000)`,
		caller: []callerAction{{mark: "x", after: ms(500), hangup: "USER_BUSY"}}},
	{name: "hangup_hook_setvar",
		lua: `function on_hangup(s, what) s:setVariable("diff_hook", what) end
session:answer(); session:setHangupHook("on_hangup"); mark("x")
wait_until_gone(4000)`,
		star: `def on_hangup(s, what):
    s.setVariable("diff_hook", what)

def handler(session, args):
    session.answer()
    session.setHangupHook(on_hangup)
    mark(session, "x")
    wait_until_gone(session, 4000)`,
		caller: []callerAction{{mark: "x", after: ms(500), hangup: "USER_BUSY"}},
		known:  "setVariable in the hangup hook does not reach the CDR"},
	{name: "far_end_hangup_cause",
		lua: `session:answer(); mark("x")
wait_until_gone(4000)
out("cause", session:hangupCause())`,
		star: `def handler(session, args):
    session.answer()
    mark(session, "x")
    wait_until_gone(session, 4000)
    out(session, "cause", session.hangupCause())`,
		caller: []callerAction{{mark: "x", after: ms(500), hangup: "USER_BUSY"}},
		known:  "hangupCause() gives the real cause (mod_lua: NONE)"},

	// --- events, api ------------------------------------------------------------
	{name: "event_fire_plain",
		lua:  `session:answer(); out("a", "1"); out("b", "x y")`,
		star: "def handler(session, args):\n    session.answer()\n    out(session, \"a\", \"1\")\n    out(session, \"b\", \"x y\")"},
	{name: "event_fire_with_channel_data",
		lua: `session:answer()
local e = freeswitch.Event("CUSTOM", "diff::out")
session:setEventData(e)
e:addHeader("Diff-Name", "chan"); e:addHeader("Diff-Value", "1"); e:addHeader("Run", run)
e:fire()
freeswitch.msleep(300)`,
		star: `def handler(session, args):
    session.answer()
    e = freeswitch.Event("CUSTOM", "diff::out")
    session.setEventData(e)
    e.addHeader("Diff-Name", "chan")
    e.addHeader("Diff-Value", "1")
    e.addHeader("Run", run_of(session))
    e.fire()
    freeswitch.msleep(300)`},
	{name: "event_consumer_pop",
		lua: `session:answer()
local con = freeswitch.EventConsumer("CUSTOM", "diff::ping")
mark("listening")
local ev = con:pop(1, 3000)
if ev then put("got", ev:getHeader("Diff-From")) else put("got", "none") end`,
		star: `def handler(session, args):
    session.answer()
    con = freeswitch.EventConsumer("CUSTOM", "diff::ping")
    mark(session, "listening")
    ev = con.pop(1, 3000)
    put(session, "got", ev.getHeader("Diff-From") if ev else "none")`,
		caller: []callerAction{{mark: "listening", after: ms(300), event: "diff::ping"}}},
	{name: "api_execute",
		lua: `session:answer()
local api = freeswitch.API()
put("expr", api:execute("expr", "1+2")); put("empty", api:execute("global_getvar", "diff_never_set_either"))`,
		star: `def handler(session, args):
    session.answer()
    api = freeswitch.API()
    put(session, "expr", api.execute("expr", "1+2"))
    put(session, "empty", api.execute("global_getvar", "diff_never_set_either"))`},
	{name: "api_gettime_is_text",
		lua:  `session:answer(); put("type", type(freeswitch.API():getTime()))`,
		star: "def handler(session, args):\n    session.answer()\n    put(session, \"type\", type(freeswitch.API().getTime()))"},
	{name: "xml_cdr_shape",
		lua:  `session:answer(); put("cdr", string.find(session:getXMLCDR(), "<cdr", 1, true) ~= nil)`,
		star: "def handler(session, args):\n    session.answer()\n    put(session, \"cdr\", \"<cdr\" in session.getXMLCDR())"},
	{name: "consolelog_unknown_level",
		lua:  `session:answer(); freeswitch.consoleLog("warn", "diff"); put("after", true)`,
		star: "def handler(session, args):\n    session.answer()\n    freeswitch.consoleLog(\"warn\", \"diff\")\n    put(session, \"after\", True)"},
	{name: "answer_returns",
		lua:  `put("r", session:answer())`,
		star: "def handler(session, args):\n    put(session, \"r\", session.answer())"},

	// --- parity rows of docs/api.md ---------------------------------------------
	{name: "ivr_menu",
		lua: `session:answer()
local m = freeswitch.IVRMenu(nil, "diffmenu", "` + tone1 + `", "tone_stream://%(500,0,440)",
  "tone_stream://%(100,0,300)", "tone_stream://%(100,0,200)", nil, nil, nil, nil, nil, 0, 500, 1, 3000, 3, 3)
m:bindAction("menu-exec-app", "set diff_choice=one", "1")
m:bindAction("menu-exec-app", "set diff_re=got$1", "/^([3-5])$/")
m:bindAction("menu-exit", "", "9")
mark("menu")
m:execute(session, "diffmenu")
put("status", session:getVariable("ivr_menu_status"))`,
		star: `def handler(session, args):
    session.answer()
    m = freeswitch.IVRMenu(None, "diffmenu", "` + tone1 + `", "tone_stream://%(500,0,440)",
        "tone_stream://%(100,0,300)", "tone_stream://%(100,0,200)", None, None, None, None, None, 0, 500, 1, 3000, 3, 3)
    m.bindAction("menu-exec-app", "set diff_choice=one", "1")
    m.bindAction("menu-exec-app", "set diff_re=got$1", "/^([3-5])$/")
    m.bindAction("menu-exit", "", "9")
    mark(session, "menu")
    m.execute(session, "diffmenu")
    put(session, "status", session.getVariable("ivr_menu_status"))`,
		caller: []callerAction{{mark: "menu", after: ms(300), dtmf: "1"}, {mark: "menu", after: ms(1600), dtmf: "4"}, {mark: "menu", after: ms(2400), dtmf: "7"}, {mark: "menu", after: ms(3600), dtmf: "9"}}},
	{name: "ivr_menu_timeouts",
		lua: `session:answer()
local m = freeswitch.IVRMenu(nil, "difft", "silence_stream://10", nil, nil, "tone_stream://%(100,0,200)", nil, nil, nil, nil, nil, 0, 0, 1, 1000, 2, 2)
m:bindAction("menu-exit", "", "9")
local t0 = now(); m:execute(session, "difft"); put("menu_ms", now() - t0)
put("status", session:getVariable("ivr_menu_status"))`,
		star: `def handler(session, args):
    session.answer()
    m = freeswitch.IVRMenu(None, "difft", "silence_stream://10", None, None, "tone_stream://%(100,0,200)", None, None, None, None, None, 0, 0, 1, 1000, 2, 2)
    m.bindAction("menu-exit", "", "9")
    t0 = now()
    m.execute(session, "difft")
    put(session, "menu_ms", now() - t0)
    put(session, "status", session.getVariable("ivr_menu_status"))`},
	{name: "getdigits_typeahead_split",
		lua: `session:answer(); mark("keys"); session:sleep(600)
put("a", session:getDigits(5, "#", 2000)); put("b", session:getDigits(5, "#", 1000))`,
		star: `def handler(session, args):
    session.answer()
    mark(session, "keys")
    session.sleep(600)
    put(session, "a", session.getDigits(5, "#", 2000))
    put(session, "b", session.getDigits(5, "#", 1000))`,
		caller: []callerAction{{mark: "keys", after: ms(100), dtmf: "12#34"}}},
	{name: "getdigits_abstimeout",
		lua: `session:answer(); local t0 = now()
put("d", session:getDigits(3, "", 5000, 0, 700)); put("wait_ms", now() - t0)`,
		star: `def handler(session, args):
    session.answer()
    t0 = now()
    put(session, "d", session.getDigits(3, "", 5000, 0, 700))
    put(session, "wait_ms", now() - t0)`},
	{name: "small_returns",
		lua: `session:answer()
put("collect", session:collectDigits(100)); put("hstate", session:hangupState())
local s = freeswitch.Session(); put("orig", s:originate(session, "error/user_busy", 5))`,
		star: `def handler(session, args):
    session.answer()
    put(session, "collect", session.collectDigits(100))
    put(session, "hstate", session.hangupState())
    s = freeswitch.Session()
    put(session, "orig", s.originate(session, "error/user_busy", 5))`},
	{name: "process_callback_result_stop",
		lua: `function on_key(s, what, obj) s:process_callback_result("stop"); return "" end
session:answer(); session:setInputCallback("on_key"); mark("play")
put("r", session:streamFile("` + tone3 + `"))`,
		star: `def on_key(s, what, obj):
    s.process_callback_result("stop")
    return ""

def handler(session, args):
    session.answer()
    session.setInputCallback(on_key)
    mark(session, "play")
    put(session, "r", session.streamFile("` + tone3 + `"))`,
		caller: []callerAction{{mark: "play", after: ms(800), dtmf: "5"}}},
	{name: "print_text",
		lua:   `session:answer(); put("print", session:print("hello"))`,
		star:  "def handler(session, args):\n    session.answer()\n    put(session, \"print\", session.print(\"hello\"))",
		known: "print() gives 1 whenever the channel exists: uuid_send_text does not tell whether the channel took the text"},
	{name: "json_object",
		lua: `session:answer()
local j = freeswitch.JSON()
put("enc", j:encode({a = 1.5}))
j:return_unformatted_json(false)
put("fmt", j:encode({a = {1, 2, {z = 0.1}}}))
j:return_unformatted_json(true)
put("arr", j:encode({1, "x", true, {z = 0.1}}))
put("empty", j:encode({}))
j:encode_empty_table_as_object(false)
put("empty2", j:encode({}))
j:return_unformatted_json(true)
put("nested", j:encode({k = {1, 2.25, 1e20}}))
local d = j:decode('{"a": [1, "b", null, [2], {"c": 3}], "n": null, "t": true, "o": {"x": 2}}')
put("dec", d.a[1] .. "," .. d.a[2] .. "," .. #d.a .. "," .. d.a[3].c .. "," .. tostring(d.n) .. "," .. tostring(d.t) .. "," .. d.o.x)
local bad = j:decode("nope"); put("bad", tostring(bad))
local r = j:execute('{"command":"status","data":{}}')
put("sys", r.systemStatus)
put("exec2", string.sub(j:execute2({command = "status", data = {x = 1}}), 1, 24))`,
		star: `def handler(session, args):
    session.answer()
    j = freeswitch.JSON()
    put(session, "enc", j.encode({"a": 1.5}))
    j.return_unformatted_json(False)
    put(session, "fmt", j.encode({"a": [1, 2, {"z": 0.1}]}))
    j.return_unformatted_json(True)
    put(session, "arr", j.encode([1, "x", True, {"z": 0.1}]))
    put(session, "empty", j.encode({}))
    j.encode_empty_table_as_object(False)
    put(session, "empty2", j.encode({}))
    j.return_unformatted_json(True)
    put(session, "nested", j.encode({"k": [1, 2.25, 1e20]}))
    d = j.decode('{"a": [1, "b", null, [2], {"c": 3}], "n": null, "t": true, "o": {"x": 2}}')
    put(session, "dec", ",".join([str(d["a"][0]), d["a"][1], str(len(d["a"])), str(d["a"][2]["c"]), text(d.get("n")), text(d["t"]), str(d["o"]["x"])]))
    put(session, "bad", text(j.decode("nope")))
    r = j.execute('{"command":"status","data":{}}')
    put(session, "sys", r["systemStatus"])
    put(session, "exec2", j.execute2({"command": "status", "data": {"x": 1}})[:24])`},
	{name: "dbh_string_values",
		lua: `session:answer()
local dbh = freeswitch.Dbh("sqlite://fsstar_diff")
dbh:query("select 2.0 as r, 10 as i, null as n, 'x y' as s", function(row)
  put("r", row.r); put("i", row.i); put("n", "[" .. row.n .. "]"); put("s", row.s) end)
put("react", dbh:test_reactive("select 1"))`,
		star: `def handler(session, args):
    session.answer()
    dbh = freeswitch.Dbh("sqlite://fsstar_diff")
    def row_fn(row):
        put(session, "r", row["r"])
        put(session, "i", row["i"])
        put(session, "n", "[" + row["n"] + "]")
        put(session, "s", row["s"])
    dbh.query("select 2.0 as r, 10 as i, null as n, 'x y' as s", row_fn)
    put(session, "react", dbh.test_reactive("select 1"))`},
	{name: "ready_and_state",
		lua:  `session:answer(); put("ready", session:ready()); put("media", session:mediaReady()); put("state", session:getState())`,
		star: "def handler(session, args):\n    session.answer()\n    put(session, \"ready\", session.ready())\n    put(session, \"media\", session.mediaReady())\n    put(session, \"state\", session.getState())"},
	{name: "originate_inherits_a_leg",
		lua: `session:answer()
session:execute("export", "diff_exp=exported one")
session:execute("export", "nolocal:diff_nl=nolocal; two")
session:setVariable("effective_caller_id_name", "Eff Name")
session:setVariable("effective_caller_id_number", "5551234")
local leg = freeswitch.Session("{diff_run=" .. run .. ",diff_x=1}loopback/park/fsstar_test", session)
for _, v in ipairs({"diff_exp", "diff_nl", "diff_x", "export_vars"}) do
  put("b_" .. v, leg:getVariable(v))
end
local far = leg:getVariable("other_loopback_leg_uuid")
local api = freeswitch.API()
put("far_cid", api:execute("uuid_getvar", far .. " caller_id_name") .. "/" .. api:execute("uuid_getvar", far .. " caller_id_number"))
local u = leg:get_uuid():gsub("%-", "%%-")
put("b_originator", leg:getVariable("originator") == session:get_uuid())
put("a_nl", session:getVariable("diff_nl"))
put("a_disp", session:getVariable("originate_disposition")); put("a_dial", session:getVariable("DIALSTATUS"))
put("a_bond", session:getVariable("signal_bond") == leg:get_uuid())
put("a_legs", (session:getVariable("originated_legs"):gsub(u, "B")))
put("a_causes", (session:getVariable("originate_causes"):gsub(u, "B")))
leg:hangup()
local busy = freeswitch.Session("error/user_busy", session)
put("f_disp", session:getVariable("originate_disposition")); put("f_dial", session:getVariable("DIALSTATUS"))`,
		star: `def handler(session, args):
    session.answer()
    session.execute("export", "diff_exp=exported one")
    session.execute("export", "nolocal:diff_nl=nolocal; two")
    session.setVariable("effective_caller_id_name", "Eff Name")
    session.setVariable("effective_caller_id_number", "5551234")
    leg = freeswitch.Session("{diff_run=" + run_of(session) + ",diff_x=1}loopback/park/fsstar_test", session)
    for v in ["diff_exp", "diff_nl", "diff_x", "export_vars"]:
        put(session, "b_" + v, leg.getVariable(v))
    far = leg.getVariable("other_loopback_leg_uuid")
    api = freeswitch.API()
    put(session, "far_cid", api.execute("uuid_getvar", far + " caller_id_name") + "/" + api.execute("uuid_getvar", far + " caller_id_number"))
    put(session, "b_originator", leg.getVariable("originator") == session.get_uuid())
    put(session, "a_nl", session.getVariable("diff_nl"))
    put(session, "a_disp", session.getVariable("originate_disposition"))
    put(session, "a_dial", session.getVariable("DIALSTATUS"))
    put(session, "a_bond", session.getVariable("signal_bond") == leg.get_uuid())
    put(session, "a_legs", session.getVariable("originated_legs").replace(leg.get_uuid(), "B"))
    put(session, "a_causes", session.getVariable("originate_causes").replace(leg.get_uuid(), "B"))
    leg.hangup()
    busy = freeswitch.Session("error/user_busy", session)
    put(session, "f_disp", session.getVariable("originate_disposition"))
    put(session, "f_dial", session.getVariable("DIALSTATUS"))`},
	{name: "session_fields",
		lua: `session:answer()
put("tts0", session.tts_name); put("voice0", session.voice_name)
put("flags", session.flags); put("allocated", session.allocated)
session:set_tts_params("flite", "kal")
put("tts", session.tts_name); put("voice", session.voice_name)
put("private", session:getPrivate("diff_p"))`,
		star: `def handler(session, args):
    session.answer()
    put(session, "tts0", session.tts_name)
    put(session, "voice0", session.voice_name)
    put(session, "flags", session.flags)
    put(session, "allocated", session.allocated)
    session.set_tts_params("flite", "kal")
    put(session, "tts", session.tts_name)
    put(session, "voice", session.voice_name)
    put(session, "private", session.getPrivate("diff_p"))`},
	{name: "play_and_detect_speech_no_engine",
		lua: `session:answer()
local t0 = now()
put("result", session:playAndDetectSpeech("` + tone1 + `", "diff_no_engine", "diff_grammar"))
put("took_ms", now() - t0); put("ready", session:ready())`,
		star: `def handler(session, args):
    session.answer()
    t0 = now()
    put(session, "result", session.playAndDetectSpeech("` + tone1 + `", "diff_no_engine", "diff_grammar"))
    put(session, "took_ms", now() - t0)
    put(session, "ready", session.ready())`},
	{name: "detect_speech_no_engine",
		lua: `session:answer()
session:detectSpeech("diff_no_engine", "diff_grammar", "diff_name", "")
session:detectSpeech("diff_no_engine", "diff_grammar", "diff_name", "/tmp/none.gram")
session:detectSpeech("stop")
put("ready", session:ready())
session:streamFile("` + tone1 + `")`,
		star: `def handler(session, args):
    session.answer()
    session.detectSpeech("diff_no_engine", "diff_grammar", "diff_name", "")
    session.detectSpeech("diff_no_engine", "diff_grammar", "diff_name", "/tmp/none.gram")
    session.detectSpeech("stop")
    put(session, "ready", session.ready())
    session.streamFile("` + tone1 + `")`},
	{name: "bridged_by_other_client",
		lua: `session:answer()
local x = freeswitch.Session(` + luaPark + `)
local y = freeswitch.Session(` + luaPark + `)
x:setVariable("park_after_bridge", "true"); y:setVariable("park_after_bridge", "true")
put("before", x:bridged())
local api = freeswitch.API()
api:execute("uuid_bridge", x:get_uuid() .. " " .. y:get_uuid())
session:sleep(500)
put("x", x:bridged()); put("y", y:bridged())
api:execute("uuid_transfer", y:get_uuid() .. " park inline")
session:sleep(500)
put("x_after", x:bridged()); put("y_after", y:bridged()); put("x_ready", x:ready()); put("y_ready", y:ready())
x:hangup(); y:hangup()`,
		star: `def handler(session, args):
    session.answer()
    x = freeswitch.Session(` + starPark + `)
    y = freeswitch.Session(` + starPark + `)
    x.setVariable("park_after_bridge", "true")
    y.setVariable("park_after_bridge", "true")
    put(session, "before", x.bridged())
    api = freeswitch.API()
    api.execute("uuid_bridge", x.get_uuid() + " " + y.get_uuid())
    session.sleep(500)
    put(session, "x", x.bridged())
    put(session, "y", y.bridged())
    api.execute("uuid_transfer", y.get_uuid() + " park inline")
    session.sleep(500)
    put(session, "x_after", x.bridged())
    put(session, "y_after", y.bridged())
    put(session, "x_ready", x.ready())
    put(session, "y_ready", y.ready())
    x.hangup()
    y.hangup()`},
	// Hold music while the script works, then stopped. A Lua script is
	// its channel's own thread: the broadcast plays inside its next
	// session:sleep (which runs the queued events), so the uuid_break has
	// to come from another thread (luarun of a helper that msleeps first);
	// fsstar's startMedia returns at once and stop() breaks it.
	{name: "background_media",
		lua: `session:answer()
local uuid = session:get_uuid()
local helper = "/tmp/fsstar_diff_bgbreak_" .. run .. ".lua"
local f = io.open(helper, "w")
f:write('freeswitch.msleep(tonumber(argv[2])); freeswitch.API():execute("uuid_break", argv[1] .. " all"); os.remove(argv[0])')
f:close()
local api = freeswitch.API()
api:execute("uuid_broadcast", uuid .. " ` + tone3 + ` aleg")
api:execute("luarun", helper .. " " .. uuid .. " 1000")
session:sleep(2000)
session:streamFile("` + tone1 + `")
put("ready", session:ready())`,
		star: `def handler(session, args):
    session.answer()
    h = session.startMedia("` + tone3 + `")
    freeswitch.msleep(1000)   # an HTTP lookup would go here
    h.stop()
    session.sleep(1000)
    session.streamFile("` + tone1 + `")
    put(session, "ready", session.ready())`},
	// A CRM lookup: mod_lua asks mod_curl (in the switch, on the call's
	// thread), fsstar its http module (in fsstar); the same server answers.
	{name: "http_get_vs_curl",
		http: func(w http.ResponseWriter, r *http.Request) {
			switch {
			case strings.HasSuffix(r.URL.Path, "/crm") && r.URL.Query().Get("number") == "1000":
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"name": "Alice Example", "number": "1000"}`)
			case strings.HasSuffix(r.URL.Path, "/echo"):
				b, _ := io.ReadAll(r.Body)
				io.WriteString(w, r.Method+" "+string(b))
			default:
				http.Error(w, "no such caller", http.StatusNotFound)
			}
		},
		lua: `session:answer()
local base = freeswitch.getGlobalVariable("diff_http") .. "/http_get_vs_curl"
local api = freeswitch.API()
put("body", api:execute("curl", base .. "/crm?number=1000"))
put("status", string.match(api:execute("curl", base .. "/crm?number=42 json"), '"status_code":%s*"?(%d+)'))
put("post", api:execute("curl", base .. "/echo post a=1&b=2"))`,
		star: `def handler(session, args):
    session.answer()
    base = freeswitch.getGlobalVariable("diff_http") + "/http_get_vs_curl"
    put(session, "body", http.get(base + "/crm", params = {"number": "1000"}).body)
    put(session, "status", http.get(base + "/crm?number=42").status)
    put(session, "post", http.post(base + "/echo", body = "a=1&b=2").body)`},
	// What an originated leg inherits beyond the variables of
	// originate_inherits_a_leg, and its own caller-ID fields afterwards:
	// mod_lua's leg is never routed (CS_SOFT_EXECUTE), so its caller ID
	// is not flipped as a routed outbound leg's is. (max_forwards is set:
	// the park mode's a-leg, transferred by its originate, has one.)
	{name: "originate_leg_caller_id",
		lua: `session:answer()
session:setVariable("effective_caller_id_name", "Eff Name")
session:setVariable("effective_caller_id_number", "5551234")
session:setVariable("ignore_early_media", "true")
session:setVariable("max_forwards", "12")
local leg = freeswitch.Session(` + luaPark + `, session)
for _, v in ipairs({` + legVars + `}) do put("b_" .. v, leg:getVariable(v)) end
put("b_bond", leg:getVariable("signal_bond") == session:get_uuid())
put("a_obond", session:getVariable("originate_signal_bond") == leg:get_uuid())
leg:hangup()
local s = freeswitch.Session()
put("orig", s:originate(session, ` + luaPark + `, 10))
for _, v in ipairs({` + legVars + `}) do put("o_" .. v, s:getVariable(v)) end
s:hangup()`,
		star: `def handler(session, args):
    session.answer()
    session.setVariable("effective_caller_id_name", "Eff Name")
    session.setVariable("effective_caller_id_number", "5551234")
    session.setVariable("ignore_early_media", "true")
    session.setVariable("max_forwards", "12")
    leg = freeswitch.Session(` + starPark + `, session)
    for v in [` + legVars + `]:
        put(session, "b_" + v, leg.getVariable(v))
    put(session, "b_bond", leg.getVariable("signal_bond") == session.get_uuid())
    put(session, "a_obond", session.getVariable("originate_signal_bond") == leg.get_uuid())
    leg.hangup()
    s = freeswitch.Session()
    put(session, "orig", s.originate(session, ` + starPark + `, 10))
    for v in [` + legVars + `]:
        put(session, "o_" + v, s.getVariable(v))
    s.hangup()`},
	// Ringback while the originated leg rings: the switch plays the
	// a-leg's ringback (transfer_ringback once it answered) to it. The far
	// end of the a-leg listens for the tone (tone_detect sets diff_heard).
	{name: "originate_ringback",
		lua: `session:answer()
local far = session:getVariable("other_loopback_leg_uuid")
freeswitch.API():execute("uuid_broadcast", far .. " ` + detectRingback + ` aleg")
session:setVariable("ringback", "` + ringbackTone + `")
local t0 = now()
local leg = freeswitch.Session("{diff_run=" .. run .. "}` + ringingLeg + `", session)
put("took_ms", now() - t0); put("ready", leg:ready()); put("answered", leg:answered())
put("heard", freeswitch.API():execute("uuid_getvar", far .. " diff_heard"))
leg:hangup()
local quick = freeswitch.Session(` + luaPark + `, session)
put("quick", quick:ready()); quick:hangup()`,
		star: `def handler(session, args):
    session.answer()
    far = session.getVariable("other_loopback_leg_uuid")
    freeswitch.API().execute("uuid_broadcast", far + " ` + detectRingback + ` aleg")
    session.setVariable("ringback", "` + ringbackTone + `")
    t0 = now()
    leg = freeswitch.Session("{diff_run=" + run_of(session) + "}` + ringingLeg + `", session)
    put(session, "took_ms", now() - t0)
    put(session, "ready", leg.ready())
    put(session, "answered", leg.answered())
    put(session, "heard", freeswitch.API().execute("uuid_getvar", far + " diff_heard"))
    leg.hangup()
    quick = freeswitch.Session(` + starPark + `, session)
    put(session, "quick", quick.ready())
    quick.hangup()`},
	// waitForAnswer(calling_session) on a leg that returned at ring-ready
	// (return_ring_ready): the calling session hears its ringback until
	// the leg answers.
	{name: "wait_for_answer_ringback",
		lua: `session:answer()
local far = session:getVariable("other_loopback_leg_uuid")
freeswitch.API():execute("uuid_broadcast", far .. " ` + detectRingback + ` aleg")
local leg = freeswitch.Session("{return_ring_ready=true,diff_run=" .. run .. "}` + ringingLeg + `", session)
put("ready", leg:ready()); put("answered0", leg:answered()); put("media0", leg:mediaReady())
put("heard0", freeswitch.API():execute("uuid_getvar", far .. " diff_heard"))
session:setVariable("ringback", "` + ringbackTone + `")
local t0 = now()
leg:waitForAnswer(session)
put("wait_ms", now() - t0); put("answered", leg:answered())
put("heard", freeswitch.API():execute("uuid_getvar", far .. " diff_heard"))
leg:hangup()`,
		star: `def handler(session, args):
    session.answer()
    far = session.getVariable("other_loopback_leg_uuid")
    freeswitch.API().execute("uuid_broadcast", far + " ` + detectRingback + ` aleg")
    leg = freeswitch.Session("{return_ring_ready=true,diff_run=" + run_of(session) + "}` + ringingLeg + `", session)
    put(session, "ready", leg.ready())
    put(session, "answered0", leg.answered())
    put(session, "media0", leg.mediaReady())
    put(session, "heard0", freeswitch.API().execute("uuid_getvar", far + " diff_heard"))
    session.setVariable("ringback", "` + ringbackTone + `")
    t0 = now()
    leg.waitForAnswer(session)
    put(session, "wait_ms", now() - t0)
    put(session, "answered", leg.answered())
    put(session, "heard", freeswitch.API().execute("uuid_getvar", far + " diff_heard"))
    leg.hangup()`},
	// An answered a-leg hears its transfer_ringback, here a file path
	// (tone_stream://), which the switch reads as a file: no PLAYBACK
	// events, the same sound. (It loops: a stream that ends and cannot
	// seek back ends mod_lua's originate with NO_ANSWER.)
	{name: "originate_ringback_file",
		lua: `session:answer()
local far = session:getVariable("other_loopback_leg_uuid")
freeswitch.API():execute("uuid_broadcast", far .. " ` + detectRingback + ` aleg")
session:setVariable("ringback", "%(1000,0,350)")
session:setVariable("transfer_ringback", "tone_stream://` + ringbackTone + `;loops=10")
local leg = freeswitch.Session("{diff_run=" .. run .. "}` + ringingLeg + `", session)
put("ready", leg:ready())
put("heard", freeswitch.API():execute("uuid_getvar", far .. " diff_heard"))
leg:hangup()
session:streamFile("` + tone1 + `")`,
		star: `def handler(session, args):
    session.answer()
    far = session.getVariable("other_loopback_leg_uuid")
    freeswitch.API().execute("uuid_broadcast", far + " ` + detectRingback + ` aleg")
    session.setVariable("ringback", "%(1000,0,350)")
    session.setVariable("transfer_ringback", "tone_stream://` + ringbackTone + `;loops=10")
    leg = freeswitch.Session("{diff_run=" + run_of(session) + "}` + ringingLeg + `", session)
    put(session, "ready", leg.ready())
    put(session, "heard", freeswitch.API().execute("uuid_getvar", far + " diff_heard"))
    leg.hangup()
    session.streamFile("` + tone1 + `")`},
	// The a-leg's origination_cancel_key ends the originate while the leg
	// rings; the other keys pressed meanwhile are gone.
	{name: "originate_cancel_key",
		lua: `session:answer()
session:setVariable("origination_cancel_key", "#")
session:setVariable("ringback", "` + ringbackTone + `")
mark("dial")
local t0 = now()
local leg = freeswitch.Session("{diff_run=" .. run .. "}` + ringingLeg + `", session)
put("took_ms", now() - t0); put("ready", leg:ready()); put("cause", leg:hangupCause())
put("disp", session:getVariable("originate_disposition")); put("dial", session:getVariable("DIALSTATUS"))
put("digits", session:getDigits(5, "", 500))`,
		star: `def handler(session, args):
    session.answer()
    session.setVariable("origination_cancel_key", "#")
    session.setVariable("ringback", "` + ringbackTone + `")
    mark(session, "dial")
    t0 = now()
    leg = freeswitch.Session("{diff_run=" + run_of(session) + "}` + ringingLeg + `", session)
    put(session, "took_ms", now() - t0)
    put(session, "ready", leg.ready())
    put(session, "cause", leg.hangupCause())
    put(session, "disp", session.getVariable("originate_disposition"))
    put(session, "dial", session.getVariable("DIALSTATUS"))
    put(session, "digits", session.getDigits(5, "", 500))`,
		caller: []callerAction{{mark: "dial", after: ms(300), dtmf: "1"}, {mark: "dial", after: ms(700), dtmf: "#"}}},
	// Event.addHeader with an empty value adds nothing: it deletes the
	// header (switch_event_base_add_header), so serialize has no line.
	{name: "event_serialize_empty_header",
		lua: `session:answer()
local e = freeswitch.Event("CUSTOM", "diff::ser")
e:addHeader("X-Empty", "x"); e:addHeader("X-Empty", ""); e:addHeader("X-Full", "a b")
local s = e:serialize()
put("empty", string.match(s, "X%-Empty: ([^\n]*)")); put("full", string.match(s, "X%-Full: ([^\n]*)"))`,
		star: `def handler(session, args):
    session.answer()
    e = freeswitch.Event("CUSTOM", "diff::ser")
    e.addHeader("X-Empty", "x")
    e.addHeader("X-Empty", "")
    e.addHeader("X-Full", "a b")
    lines = {}
    for line in e.serialize().split("\n"):
        name, sep, value = line.partition(": ")
        if sep:
            lines[name] = value
    put(session, "empty", lines.get("X-Empty"))
    put(session, "full", lines.get("X-Full"))`},
	// An originate for an a-leg that has hung up ends at once, with the
	// a-leg's hangup cause (the results go out as events: the a-leg takes
	// no variables now).
	{name: "originate_after_a_leg_hangup",
		lua: `session:answer(); session:hangup("USER_BUSY")
local leg = freeswitch.Session(` + luaPark + `, session)
out("ready", leg:ready()); out("cause", leg:hangupCause())`,
		star: `def handler(session, args):
    session.answer()
    run = run_of(session)
    session.hangup("USER_BUSY")
    leg = freeswitch.Session("{diff_run=" + run + "}loopback/park/fsstar_test", session)
    for name, value in [("ready", leg.ready()), ("cause", leg.hangupCause())]:
        e = freeswitch.Event("CUSTOM", "diff::out")
        e.addHeader("Diff-Name", name)
        e.addHeader("Diff-Value", text(value))
        e.addHeader("Run", run)
        e.fire()`},
	// The a-leg hangs up while the leg rings: the originate is cancelled
	// (ORIGINATOR_CANCEL) and the ringing leg hung up.
	{name: "originate_a_leg_hangs_up_while_ringing",
		lua: `session:answer()
mark("dial")
local leg = freeswitch.Session("{diff_run=" .. run .. "}` + ringingLeg + `", session)
out("ready", leg:ready()); out("cause", leg:hangupCause())`,
		star: `def handler(session, args):
    session.answer()
    run = run_of(session)
    mark(session, "dial")
    leg = freeswitch.Session("{diff_run=" + run + "}` + ringingLeg + `", session)
    for name, value in [("ready", leg.ready()), ("cause", leg.hangupCause())]:
        e = freeswitch.Event("CUSTOM", "diff::out")
        e.addHeader("Diff-Name", name)
        e.addHeader("Diff-Value", text(value))
        e.addHeader("Run", run)
        e.fire()`,
		caller: []callerAction{{mark: "dial", after: ms(500), hangup: "NORMAL_CLEARING"}}},
}

// legVars are the variables originate_leg_caller_id compares on the
// originated leg (a Lua table's or a Starlark list's items).
const legVars = `"caller_id_name", "caller_id_number", "callee_id_name", "callee_id_number", "channel_cid_flipped",
 "pre_transfer_caller_id_name", "pre_transfer_caller_id_number", "originator_codec", "max_forwards",
 "origination_aleg_uuid", "ignore_early_media", "origination_caller_id_name", "origination_caller_id_number"`

// ringbackTone is the a-leg's ringback in the ringback scenarios (one
// frequency, which tone_detect finds), and detectRingback the
// uuid_broadcast data that makes the a-leg's far end listen for it: the
// tone sets diff_heard=yes there.
const (
	ringbackTone   = "%(1000,0,440)"
	detectRingback = "'tone_detect::rb 440 r +20 set diff_heard=yes 1'"
)

// ringingLeg is a loopback leg whose far end rings for 1.5 s, then
// answers and parks (an inline dialplan with ^ between its apps, as , is
// the dial string's separator).
const ringingLeg = "loopback/m:^:ring_ready^sleep:1500^answer^park/fsstar_test/inline"
