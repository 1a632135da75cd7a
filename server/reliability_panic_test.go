package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

// A builtin that panics (a raw starlark.Builtin, without the builtins
// package's own recover) is recovered by the engine: the call fails with a
// clear error, the log names the call's uuid, the call goes to on-error, and
// the service keeps serving the next call and HTTP request.
func TestReliabilityBuiltinPanic(t *testing.T) {
	boom := starlark.NewBuiltin("boom", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		var m map[string]int
		m["nil map"]++ // a real runtime panic, not a panic(string)
		return starlark.None, nil
	})
	h := servertest.NewServer(t, map[string]string{
		"rel/panic.star": `
def handler(session, args):
    session.answer()
    if args == "boom":
        boom()
    session.setVariable("survived", "yes")

def fsapi(session, stream, env, args):
    boom()
`}, servertest.WithServerOptions(server.WithPredeclared(starlark.StringDict{"boom": boom})))
	ch, cause := h.Call(t, map[string]string{"fsstar_app": "rel.panic boom"})
	if cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("call with a panicking builtin ended with %q, want the on-error cause", cause)
	}
	logs := h.Logs()
	if !strings.Contains(logs, "panic") || !strings.Contains(logs, "assignment to entry in nil map") {
		t.Errorf("the panic is not in the log")
	}
	found := false
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "nil map") && strings.Contains(line, "uuid="+ch.UUID()) {
			found = true
		}
	}
	if !found {
		t.Errorf("no log line of the panic carries the call's uuid %s", ch.UUID())
	}
	// Still serving.
	ch2, cause := h.Call(t, map[string]string{"fsstar_app": "rel.panic fine"})
	if ch2.Var("survived") != "yes" || cause != "NORMAL_CLEARING" {
		t.Errorf("next call after the panic: survived=%q cause=%q", ch2.Var("survived"), cause)
	}
	resp, err := http.Get(h.URL("/api/rel.panic"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.HasPrefix(string(b), "script error in rel.panic") {
		t.Errorf("fsapi with a panicking builtin: %d %q", resp.StatusCode, b)
	}
	resp, err = http.Get(h.URL("/healthz"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz after the panics: %d", resp.StatusCode)
	}
}
