package builtins

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestArgListHelpers: appArgs, apiArgs and dialVars carry caller text
// into app data, api arguments and dial string variables, on the simulated
// switch that expands and splits them as the real one.
func TestArgListHelpers(t *testing.T) {
	r := newRig(t)
	r.sw.RouteApps("park", esltestApp("answer", ""), esltestApp("park", ""))
	c := r.call(`
def handler(session, args):
    x = args
    session.answer()
    session.execute("read", freeswitch.appArgs(1, 1, x, "rvar", 100, "#"))
    freeswitch.API().execute("uuid_setvar", freeswitch.apiArgs(session.uuid, "apivar", x))
    y = x.replace("{", "(").replace("}", ")")  # dial strings cannot carry brackets
    leg = freeswitch.Session(freeswitch.dialVars({"fsstar_a": y, "fsstar_b": "a b, c='d'", "fsstar_n": 3, "fsstar_t": True}) + "loopback/park")
    out = [session.getVariable("apivar"), leg.ready(), leg.getVariable("fsstar_a"), leg.getVariable("fsstar_b"), leg.getVariable("fsstar_n"), leg.getVariable("fsstar_t")]
    leg.hangup()
    return out
`, map[string]string{"fsstar_args": hostileText})
	noBrackets := strings.NewReplacer("{", "(", "}", ")").Replace(hostileText)
	c.check(t, "["+starlarkRepr(hostileText)+", True, "+starlarkRepr(noBrackets)+`, "a b, c='d'", "3", "true"]`)
	var got [][]string
	for _, a := range c.ch.Apps() {
		if a.Name == "read" {
			got = append(got, a.Args)
		}
	}
	if diff := cmp.Diff([][]string{{"1", "1", hostileText, "rvar", "100", "#"}}, got); diff != "" {
		t.Errorf("read received (-want +got):\n%s", diff)
	}
	if x := r.sw.Expansions(); len(x) != 0 {
		t.Errorf("the switch evaluated text: %q", x)
	}
}

func TestArgListHelperValues(t *testing.T) {
	runCases(t, Options{}, []scriptCase{
		{name: "appArgs plain", src: `result = freeswitch.appArgs("1", 2, 3.5, True, "a.wav")`, want: `"1 2 3.5 true a.wav"`},
		{name: "appArgs quoted", src: `result = freeswitch.appArgs("a b", "it's")`, want: `"'a b' 'it\\\\'s'\\'"`},
		{name: "appArgs sep", src: `result = freeswitch.appArgs("a", "b,c", sep=",")`, want: `"a,'b,c'"`},
		{name: "appArgs empty", src: `result = freeswitch.appArgs()`, want: `""`},
		{name: "apiArgs", src: `result = freeswitch.apiArgs("u-1", "v", "x y")`, want: `"u-1 v 'x y'"`},
		{name: "dialVars", src: `result = freeswitch.dialVars([("a", "1"), ("b", "x y")])`, want: `"{a=1,b='\\'x y\\''}"`},
		{name: "dialVars leg", src: `result = freeswitch.dialVars({"a": 1}, brackets="[]")`, want: `"[a=1]"`},
		{name: "dialVars empty", src: `result = freeswitch.dialVars({})`, want: `""`},
		{name: "appArgs None", src: `freeswitch.appArgs("a", None)`, wantErr: `freeswitch.appArgs: argument 2: got NoneType, want str, int, float or bool`},
		{name: "appArgs NUL", src: `freeswitch.appArgs("a\0")`, wantErr: `freeswitch.appArgs: argument 1: "a\x00" holds a NUL byte`},
		{name: "apiArgs sep", src: `freeswitch.apiArgs("a", sep="  ")`, wantErr: `freeswitch.apiArgs: sep must be one of`},
		{name: "apiArgs kw", src: `freeswitch.apiArgs("a", x=1)`, wantErr: `freeswitch.apiArgs: unexpected keyword argument "x"`},
		{name: "dialVars bracket", src: `freeswitch.dialVars({"v": "a}b"})`, wantErr: `freeswitch.dialVars: the value of v holds a bracket`},
		{name: "dialVars name", src: `freeswitch.dialVars({"a b": "1"})`, wantErr: `freeswitch.dialVars: invalid variable name "a b"`},
		{name: "dialVars brackets", src: `freeswitch.dialVars({}, brackets="()")`, wantErr: `freeswitch.dialVars: brackets must be "{}" (every leg), "[]" (one leg) or "<>" (enterprise), got "()"`},
		{name: "dialVars pair", src: `freeswitch.dialVars([("a",)])`, wantErr: `freeswitch.dialVars: ("a",) is not a (name, value) pair`},
		{name: "dialVars type", src: `freeswitch.dialVars("a=1")`, wantErr: `freeswitch.dialVars: vars must be a dict or a list of (name, value) pairs, not string`},
		{name: "dialVars value", src: `freeswitch.dialVars({"a": []})`, wantErr: `freeswitch.dialVars: the value of a: got list`},
	})
}
