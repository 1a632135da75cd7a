package esltest

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fsstar/fsstar/esl"
	"github.com/google/go-cmp/cmp"
)

// TestExpandVars pins the switch's expansion, as read from
// switch_channel.c and seen on FreeSWITCH 1.11.3-dev.
func TestExpandVars(t *testing.T) {
	sw := NewSwitch(t)
	sw.globals.set("g", "G")
	sw.globals.set("nested", "<${g}>")
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"100$ and $x", "100$ and $x"}, // no "${": untouched
		{`a\b \q`, `a\b \q`},           // no escape the expander knows: untouched
		{`C:\new`, `C:\new`},           // \n alone: untouched (the apps unescape it later)
		{"${g}", "G"},
		{"$${g}", "G"},
		{"${nested}", "<G>"}, // values are expanded again
		{"${missing}x", "x"},
		{`x\${g}`, "x${g}"},     // the escape the switch honours
		{`a\\b ${g}`, `a\b G`},  // \\ is one backslash once expansion runs
		{`it\'s ${g}`, "its G"}, // \' disappears
		{"${g:1}", ""},
		{"${echo(hi)}", "hi"},            // an api call
		{"${echo hi there}", "hi there"}, // the blank form
		{"${nosuchcmd(x)}y", "y"},
		{"${g", "G"}, // unterminated: the name runs to the end
	} {
		if got := sw.expandVars(tc.in, nil, 0); got != tc.want {
			t.Errorf("expandVars(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if diff := cmp.Diff([]string{"echo hi", "echo hi there", "nosuchcmd x"}, sw.Expansions()); diff != "" {
		t.Errorf("Expansions (-want +got):\n%s", diff)
	}
}

// TestSeparateString pins switch_separate_string, including what the
// audit saw uuid_setvar do to a value on the real switch.
func TestSeparateString(t *testing.T) {
	for _, tc := range []struct {
		in    string
		delim byte
		n     int
		want  []string
	}{
		{"a b  c", ' ', 5, []string{"a", "b", "c"}},
		{"a b c d", ' ', 2, []string{"a", "b c d"}},
		{"uuid v it's 'quoted' C:\\new", ' ', 3, []string{"uuid", "v", "its quoted' C:\new"}},
		{"'a b' c", ' ', 5, []string{"a b", "c"}},
		{"x=y=z", '=', 3, []string{"x", "y", "z"}},
		{"x='y=z'", '=', 3, []string{"x", "y=z"}},
		{"a||b|", '|', 3, []string{"a", "", "b|"}}, // the last takes the rest
		{"a||b|", '|', 5, []string{"a", "", "b"}},
		{"^^:a:b c", ' ', 5, []string{"a", "b c"}},
		{`  \sx\t `, ' ', 2, []string{" x\t"}},
		{"''", ' ', 2, []string{""}},
	} {
		if diff := cmp.Diff(tc.want, separateString(tc.in, tc.delim, tc.n)); diff != "" {
			t.Errorf("separateString(%q, %q, %d) (-want +got):\n%s", tc.in, tc.delim, tc.n, diff)
		}
	}
}

// hostile is the alphabet of the round-trip properties: what the
// expander and the splitter act on, and text.
const hostile = "${}'\"\\|,;= \n\t\r()^:@a1"

func randomHostile(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(24); n > 0; n-- {
		b.WriteByte(hostile[r.IntN(len(hostile))])
	}
	if r.IntN(4) == 0 {
		b.WriteString("${global_setvar(probe=hit)}")
	}
	return b.String()
}

// TestQuotingRoundTrip: text escaped with esl.EscapeVars and quoted with
// esl.QuoteArg comes out of the switch's expansion and splitting byte for
// byte, and the expansion runs no api command.
func TestQuotingRoundTrip(t *testing.T) {
	sw := NewSwitch(t)
	r := rand.New(rand.NewPCG(17, 1))
	for i := 0; i < 20000; i++ {
		a, b, c := randomHostile(r), randomHostile(r), randomHostile(r)
		if got := sw.expandVars(esl.EscapeVars(a), nil, 0); got != a {
			t.Fatalf("EscapeVars(%q) expands to %q", a, got)
		}
		if got := sw.expandVars("pre-"+esl.EscapeVarsPart(a)+"-${g}", nil, 0); got != "pre-"+a+"-" {
			t.Fatalf("EscapeVarsPart(%q) in data expands to %q", a, got)
		}
		data := sw.expandVars(esl.EscapeVars(esl.QuoteArgs(a, b, c)), nil, 0)
		if diff := cmp.Diff([]string{a, b, c}, separateString(data, ' ', 3)); diff != "" {
			t.Fatalf("QuoteArgs(%q, %q, %q) split (-want +got):\n%s", a, b, c, diff)
		}
		for _, d := range []byte{'|', ',', '='} {
			joined := esl.QuoteArg(a) + string(d) + esl.QuoteArg(b)
			if diff := cmp.Diff([]string{a, b}, separateString(joined, d, 2)); diff != "" {
				t.Fatalf("QuoteArg(%q) %q QuoteArg(%q) split on %q (-want +got):\n%s", a, d, b, d, diff)
			}
		}
	}
	if got := sw.Expansions(); len(got) != 0 {
		t.Fatalf("escaped text ran api commands: %q", got)
	}
}
