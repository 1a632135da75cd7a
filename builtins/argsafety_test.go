package builtins

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"
)

// hostileText holds what the switch's expander and splitter act on.
const hostileText = `x${global_setvar(probe=hit)} it's 'q' "d" C:\new a\\b \$ $x ^^, | = ; $${g}` + "\n\tend "

// TestSessionTextIsData is the property: text made of what the switch's
// expander and splitter act on ($ { } ' " \ | , ; = ^, blanks, tabs, line
// breaks), through every high-level method, arrives at the simulated
// switch's app (which expands and splits as the real one) byte for byte,
// and no api command runs. Both socket modes: async full (uuid_setvar) and
// static (the set app).
func TestSessionTextIsData(t *testing.T) {
	texts := []string{hostileText}
	r0 := rand.New(rand.NewPCG(2026, 17))
	const alphabet = "${}'\"\\|,;=^ \n\tab"
	for len(texts) < 16 {
		var b strings.Builder
		b.WriteByte('f') // files and prompts may not be empty
		for n := r0.IntN(20); n > 0; n-- {
			b.WriteByte(alphabet[r0.IntN(len(alphabet))])
		}
		texts = append(texts, b.String())
	}
	for _, mode := range []struct {
		name, full string
		opts       []esltest.CallOption
	}{{"async full", "yes", nil}, {"static", "no", []esltest.CallOption{esltest.Static()}}} {
		t.Run(mode.name, func(t *testing.T) {
			r := newRig(t)
			for _, x := range texts {
				c := r.call(`
def handler(session, args):
    x = args
    session.answer()
    session.streamFile(x)
    session.say(x, "en", "name_spelled", "iterated")
    session.sayPhrase("m", x.replace("$", "S"))
    session.set_tts_params("flite", "kal")
    session.speak(x)
    session.recordFile(x, 1)
    session.read(1, 1, x, 100, "#")
    session.setVariable("v", x)
    v = x
    if session.getVariable("fsstar_full") == "yes":  # getvar (static) cannot carry a line break
        v = session.getVariable("v")
    session.playAndGetDigits(1, 1, 1, 100, x, x, x, x, "pagd_var", None, x)  # fails: transfers to x
    return v
`, map[string]string{"fsstar_args": x, "fsstar_full": mode.full}, mode.opts...)
				c.check(t, starlarkRepr(x))
				got := map[string][]string{}
				for _, a := range c.ch.Apps() {
					got[a.Name] = a.Args
				}
				// The last playback is read's prompt (read runs no app of its own).
				want := map[string][]string{
					"playback":            {x},
					"say":                 {"en", "name_spelled", "iterated", x},
					"phrase":              {"m", strings.ReplaceAll(x, "$", "S")},
					"speak":               {"flite", "kal", x},
					"record":              {x, "1", "0", "0"},
					"play_and_get_digits": {"1", "1", "1", "100", termArg(x), x, x, "pagd_var", x, "100", x},
				}
				if mode.name == "static" {
					want["set"] = []string{"v", x} // no api without full control: the set app
				}
				for app, w := range want {
					if diff := cmp.Diff(w, got[app]); diff != "" {
						t.Errorf("text %q: %s received (-want +got):\n%s", x, app, diff)
					}
				}
				if v := c.ch.Var("v"); v != x {
					t.Errorf("text %q: variable v = %q", x, v)
				}
			}
			if x := r.sw.Expansions(); len(x) != 0 {
				t.Errorf("the switch evaluated text: %q", x)
			}
		})
	}
}

// starlarkRepr is s as Starlark writes it (what a handler's returned
// string prints as).
func starlarkRepr(s string) string { return starlark.String(s).String() }

// TestSessionTextRefused: text the switch would evaluate or misread
// whatever fsstar sends is an error, and nothing reaches the switch.
func TestSessionTextRefused(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct{ src, want string }{
		{`session.sayPhrase("m", "a${system(id)}")`, `Session.sayPhrase: phrase_data holds "${", which the switch's phrase engine would evaluate`},
		{`session.streamFile("phrase:m:${system(id)}")`, `Session.streamFile: file holds "${"`},
		{`session.streamFile("a@@b")`, `Session.streamFile: the playback app would misread the '@' in "a@@b"`},
		{`session.streamFile("a@b", 800)`, `Session.streamFile: the playback app would misread the '@'`},
		{`session.transfer("-bleg")`, `Session.transfer: extension "-bleg" would be read as a uuid_transfer flag`},
		{`session.setVariable("v", "a\0b")`, `Session.setVariable: value holds a NUL byte`},
	} {
		c := r.call("def handler(session, args):\n    "+tc.src, nil)
		if c.err == nil || !strings.Contains(c.err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.src, c.err, tc.want)
		}
		for _, a := range c.ch.Apps() {
			if a.Name != "socket" {
				t.Errorf("%s: the switch ran %s %q", tc.src, a.Name, a.Arg)
			}
		}
	}
	if x := r.sw.Expansions(); len(x) != 0 {
		t.Errorf("the switch evaluated text: %q", x)
	}
}

// TestSpeakWithoutEngine: as mod_lua, speak() without set_tts_params
// returns 1 and leaves the call up (the speak app would hang it up).
func TestSpeakWithoutEngine(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    n = session.speak("hello")
    return [n, session.ready()]
`, nil)
	c.check(t, "[1, True]")
	c.apps(t, "answer")
}

// TestArgHelpers: escapeVars, quoteArg and dialVar make caller text safe
// in execute() data, api arguments and dial strings, on the simulated
// switch that expands and splits them as the real one.
func TestArgHelpers(t *testing.T) {
	r := newRig(t)
	r.sw.RouteApps("park", esltestApp("answer", ""), esltestApp("park", ""))
	c := r.call(`
def handler(session, args):
    x = args
    session.answer()
    session.execute("playback", "${sound_dir}/" + freeswitch.escapeVars(x))
    session.execute("read", "1 1 " + freeswitch.escapeVars(freeswitch.quoteArg(x)) + " rvar 100 #")
    freeswitch.API().execute("uuid_setvar", session.uuid + " apivar " + freeswitch.quoteArg(x))
    y = x.replace("{", "(").replace("}", ")")  # dial strings cannot carry brackets
    leg = freeswitch.Session("{" + freeswitch.dialVar("fsstar_dialvar", y) + "}loopback/park")
    out = [session.getVariable("apivar"), leg.ready(), leg.getVariable("fsstar_dialvar")]
    leg.hangup()
    return out
`, map[string]string{"fsstar_args": hostileText, "sound_dir": "/snd"})
	noBrackets := strings.NewReplacer("{", "(", "}", ")").Replace(hostileText)
	c.check(t, "["+starlarkRepr(hostileText)+", True, "+starlarkRepr(noBrackets)+"]")
	apps := c.ch.Apps()
	var got [][]string
	for _, a := range apps {
		if a.Name == "playback" || a.Name == "read" {
			got = append(got, a.Args)
		}
	}
	want := [][]string{{"/snd/" + hostileText}, {"1", "1", hostileText, "rvar", "100", "#"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("apps received (-want +got):\n%s", diff)
	}
	if x := r.sw.Expansions(); len(x) != 0 {
		t.Errorf("the switch evaluated text: %q", x)
	}
	c = r.call(`
def handler(session, args):
    freeswitch.dialVar("v", "a}b")
`, nil)
	if c.err == nil || !strings.Contains(c.err.Error(), "freeswitch.dialVar: the value of v holds a bracket") {
		t.Errorf("dialVar with a bracket: %v", c.err)
	}
}
