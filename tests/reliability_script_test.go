package tests

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/server"
)

// A module saved with a syntax error is reported at once (file:line:col) and
// the last good version keeps serving; the next good save is picked up.
func TestReliabilitySyntaxErrorKeepsLastGood(t *testing.T) {
	noLeaks(t)
	h := startRel(t, map[string]string{"rel/ver.star": `
def fsapi(session, stream, env, args):
    stream.write("v1")
`}, func(c *server.Config) { c.Reload = "poll"; c.PollInterval = 30 * time.Millisecond })
	if code, body := relGet(t, h, "/api/rel.ver"); code != 200 || body != "v1" {
		t.Fatalf("v1: %d %q", code, body)
	}
	p := filepath.Join(h.Dir, "rel", "ver.star")
	if err := os.WriteFile(p, []byte("def fsapi(session, stream, env, args)\n    stream.write(\"broken\")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the syntax error in the log", func() bool { return strings.Contains(h.Logs(), "ver.star:2:1: got newline, want ':'") })
	for range 3 {
		if code, body := relGet(t, h, "/api/rel.ver"); code != 200 || body != "v1" {
			t.Fatalf("after a broken save: %d %q, want the last good v1", code, body)
		}
	}
	// And through a call, the last good version too.
	if err := os.WriteFile(p, []byte("def fsapi(session, stream, env, args):\n    stream.write(\"v2\")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "v2 to serve", func() bool {
		_, body := relGet(t, h, "/api/rel.ver")
		return body == "v2"
	})
}

// Runtime errors, runaway loops, recursion, oversized output: each fails the
// one call with a clear error (calls go to on-error, fsapi answers 500,
// xml_fetch answers not found) and the service keeps serving.
func TestReliabilityScriptFaults(t *testing.T) {
	noLeaks(t)
	h := startRel(t, map[string]string{
		"rel/err.star": `
def handler(session, args):
    session.answer()
    fail("deliberate failure " + args)
`,
		"rel/loop.star": `
def handler(session, args):
    session.answer()
    for i in range(1000000000):
        pass

def fsapi(session, stream, env, args):
    for i in range(1000000000):
        pass
`,
		"rel/recurse.star": `
def f(n):
    return f(n + 1)

def fsapi(session, stream, env, args):
    f(0)
`,
		"rel/big.star": `
def fsapi(session, stream, env, args):
    chunk = "x" * 1024
    for i in range(10000):
        stream.write(chunk)
`,
		"rel/repeat.star": `
def fsapi(session, stream, env, args):
    s = "x" * (1 << 31)
    stream.write(s)
`,
		"rel/xml.star": `
def xml_fetch(params):
    if params["section"] == "directory":
        fail("xml_fetch failure")
    return '<document type="freeswitch/xml"><section name="dialplan">' + ("<!-- pad -->" * 20000) + '</section></document>'
`,
		"rel/ok.star": `
def handler(session, args):
    session.answer()
    session.setVariable("rel_ok", "yes")

def fsapi(session, stream, env, args):
    stream.write("ok")
`,
	}, func(c *server.Config) {
		c.MaxSteps = 2_000_000
		c.MaxBodyBytes = 128 << 10
		c.XMLHandlerScript = "rel.xml"
		c.XMLHandlerBindings = []string{"dialplan", "directory"}
	})

	// Runtime error in a call: the on-error policy hangs it up.
	_, cause := h.Call(t, map[string]string{"fsstar_app": "rel.err e1"})
	if cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("failed script: call ended %q, want the on-error cause", cause)
	}
	if !strings.Contains(h.Logs(), "deliberate failure e1") || !strings.Contains(h.Logs(), "err.star:4:") {
		t.Errorf("runtime error not logged with file:line")
	}
	// Runaway loop in a call and in fsapi: the step limit stops both.
	_, cause = h.Call(t, map[string]string{"fsstar_app": "rel.loop"})
	if cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("runaway call ended %q, want the on-error cause", cause)
	}
	if code, _ := relGet(t, h, "/api/rel.loop"); code != 500 {
		t.Errorf("runaway fsapi answered %d, want 500", code)
	}
	if !strings.Contains(h.Logs(), "too many steps") {
		t.Errorf("the step limit is not named in the log")
	}
	// Recursion is off by default.
	if code, _ := relGet(t, h, "/api/rel.recurse"); code != 500 {
		t.Errorf("recursive fsapi answered %d, want 500", code)
	}
	if !strings.Contains(h.Logs(), "called recursively") {
		t.Errorf("recursion error not in the log")
	}
	// Output over max-body-bytes: a clear error, not a truncated answer.
	code, body := relGet(t, h, "/api/rel.big")
	if code != 500 || len(body) > 1024 {
		t.Errorf("oversized fsapi: %d, %d bytes", code, len(body))
	}
	if !strings.Contains(h.Logs(), "limit") {
		t.Errorf("the output limit is not named in the log")
	}

	// A 2 GiB string is refused by the memory budget before it is built.
	if code, _ := relGet(t, h, "/api/rel.repeat"); code != 500 || !strings.Contains(h.Logs(), "memory budget: string * 2147483648 needs 2.0 GiB") {
		t.Errorf("huge string repeat answered %d", code)
	}
	// xml_fetch: an oversized document and a failing script both answer "not found".
	for _, section := range []string{"dialplan", "directory"} {
		resp, err := http.PostForm("http://"+h.Server.HTTPAddr()+"/xml", url.Values{"section": {section}})
		if err != nil {
			t.Fatal(err)
		}
		b := new(bytes.Buffer)
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(b.String(), `status="not found"`) || b.Len() > 1024 {
			t.Errorf("xml_fetch %s: %d %q", section, resp.StatusCode, truncateStr(b.String(), 200))
		}
	}
	if !strings.Contains(h.Logs(), "more than max-body-bytes") {
		t.Errorf("the oversized xml_fetch document is not named in the log")
	}
	// Still serving.
	ch, cause := h.Call(t, map[string]string{"fsstar_app": "rel.ok"})
	if ch.Var("rel_ok") != "yes" || cause != "NORMAL_CLEARING" {
		t.Errorf("a good call after the faults: rel_ok=%q cause=%q", ch.Var("rel_ok"), cause)
	}
	if code, body := relGet(t, h, "/api/rel.ok"); code != 200 || body != "ok" {
		t.Errorf("a good fsapi after the faults: %d %q", code, body)
	}
}

// A script that ignores the hangup and keeps computing is cancelled once
// hangup-grace has passed; its hook still runs once.
func TestReliabilityScriptIgnoresHangup(t *testing.T) {
	noLeaks(t)
	h := startRel(t, map[string]string{"rel/deaf.star": hookScript(`
    session.answer()
    freeswitch.consoleLog("info", "SPINNING\n")
    for i in range(1000000000):
        pass
`)}, func(c *server.Config) { c.MaxSteps = 0; c.HangupGrace = 300 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ch, err := h.Switch.PlaceCall(ctx, h.Server.Addr(), map[string]string{"fsstar_app": "rel.deaf d1"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the script to spin", func() bool { return count(h, "SPINNING") > 0 })
	hungUp := time.Now()
	ch.Hangup("NORMAL_CLEARING")
	waitUntil(t, 5*time.Second, "the script to be cancelled", func() bool {
		return metricLine(t, h, "fsstar_active_calls") == "fsstar_active_calls 0"
	})
	took := time.Since(hungUp)
	if took < 250*time.Millisecond || took > 3*time.Second {
		t.Errorf("script stopped %v after the hangup, want about hangup-grace (300ms)", took)
	}
	if !strings.Contains(h.Logs(), "cancelled") {
		t.Errorf("no cancellation in the log")
	}
	if n := count(h, "HOOK-RAN d1"); n != 1 {
		t.Errorf("hangup hook ran %d times, want 1", n)
	}
}

func truncateStr(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
