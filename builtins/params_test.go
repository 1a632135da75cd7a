package builtins

import (
	"testing"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// TestParams: xml_fetch's params read as mod_python's event and as a dict.
func TestParams(t *testing.T) {
	ev := &esl.Event{}
	ev.Headers.Add("section", "dialplan")
	ev.Headers.Add("Caller-Destination-Number", "7000")
	ev.Headers.Add("section", "second value ignored")
	p := NewParams(ev)
	globals, err := starlark.ExecFileOptions(&syntax.FileOptions{}, &starlark.Thread{}, "p.star", `
result = [
    params.getHeader("section"), params["section"], params.get("nope", "d"), params.get("section"),
    "Caller-Destination-Number" in params, "nope" in params, len(params), list(params),
    params.keys(), params.items()[1], type(params),
]
`, starlark.StringDict{"params": p})
	if err != nil {
		t.Fatal(err)
	}
	want := `["dialplan", "dialplan", "d", "dialplan", True, False, 2, ["section", "Caller-Destination-Number"], ["section", "Caller-Destination-Number"], ("Caller-Destination-Number", "7000"), "Event"]`
	if got := globals["result"].String(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if _, err := starlark.ExecFileOptions(&syntax.FileOptions{}, &starlark.Thread{}, "p.star", `params.addHeader("x", "y")`, starlark.StringDict{"params": p}); err == nil {
		t.Fatal("params is not frozen")
	}
}
