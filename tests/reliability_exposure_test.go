package tests

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/internal/testutil"
	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

// With http-token set, every gateway endpoint but /healthz needs
// "Authorization: Bearer <token>": a missing, wrong, differently-cased,
// prefixed or suffixed token gets 401 and never runs the script.
func TestReliabilityHTTPToken(t *testing.T) {
	noLeaks(t)
	const token = "tok-3f9a7c1e"
	h := startRel(t, map[string]string{"rel/api.star": `
def fsapi(session, stream, env, args):
    freeswitch.consoleLog("info", "SCRIPT-RAN\n")
    stream.write("ran")
`}, func(c *server.Config) { c.HTTPToken = token })
	do := func(method, path, auth string) (int, string) {
		req, _ := http.NewRequest(method, "http://"+h.Server.HTTPAddr()+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer tok-3f9a7c1", "Bearer tok-3f9a7c1e0", "Bearer TOK-3F9A7C1E",
		"Basic " + token, token, "Bearer  " + token} { // a trailing space is trimmed by HTTP itself: not tested
		for _, p := range []string{"/api/rel.api", "/metrics"} {
			if code, _ := do("GET", p, auth); code != http.StatusUnauthorized {
				t.Errorf("GET %s with Authorization %q: %d, want 401", p, auth, code)
			}
		}
		for _, p := range []string{"/xml", "/run/rel.api"} {
			if code, _ := do("POST", p, auth); code != http.StatusUnauthorized {
				t.Errorf("POST %s with Authorization %q: %d, want 401", p, auth, code)
			}
		}
	}
	if count(h, "SCRIPT-RAN") != 0 {
		t.Fatal("a script ran without the right token")
	}
	if code, body := do("GET", "/api/rel.api", "Bearer "+token); code != 200 || body != "ran" {
		t.Errorf("right token: %d %q", code, body)
	}
	if code, _ := do("GET", "/healthz", ""); code != 200 {
		t.Errorf("/healthz without token: %d (it is for probes)", code)
	}
	h.Close()
	if strings.Contains(h.Logs(), token) {
		t.Error("the HTTP token appears in the log")
	}
}

// The ESL password never appears in logs or errors: an in-process server
// and the built binary each run against a switch that accepts the password,
// then refuses it, then is unreachable, with scripts failing on API calls.
func TestReliabilityPasswordNeverLogged(t *testing.T) {
	const pw = "Pw-9d2b-UNIQUE-zeta"
	t.Run("in-process", func(t *testing.T) {
		noLeaks(t)
		sw := esltest.NewSwitch(t, esltest.WithPassword(pw))
		h := startRel(t, map[string]string{"rel/api.star": `
def fsapi(session, stream, env, args):
    stream.write(freeswitch.API().executeString(args or "status"))
`}, func(c *server.Config) { c.LogLevel = "trace" }, servertest.WithSwitch(sw))
		h.WaitConnected(t)
		relGet(t, h, "/api/rel.api?bogus_command")
		sw.RefuseAuth(true)
		sw.Drop(esltest.Inbound)
		waitUntil(t, 10*time.Second, "a refused auth", func() bool { return strings.Contains(h.Logs(), "authentication refused") })
		code, body := relGet(t, h, "/api/rel.api")
		if strings.Contains(body, pw) {
			t.Errorf("the password is in an HTTP answer (%d)", code)
		}
		sw.RefuseAuth(false)
		h.WaitConnected(t)
		h.Close()
		if strings.Contains(h.Logs(), pw) {
			t.Error("the ESL password appears in the log")
		}
	})
	t.Run("binary", func(t *testing.T) {
		sw := esltest.NewSwitch(t, esltest.WithPassword(pw))
		s := startService(t, sw.Addr(), pw)
		s.get(t, "/api/e2e.tools?x")
		sw.RefuseAuth(true)
		sw.Drop(esltest.Inbound)
		waitUntil(t, 10*time.Second, "a refused auth", func() bool { return strings.Contains(s.logs.String(), "authentication refused") })
		sw.RefuseAuth(false)
		// A wrong password given on the command line is not echoed either.
		wrong := exec.Command(binary, "serve", "-script-directory", s.scripts, "-listen", freeAddr(t), "-http-listen", freeAddr(t),
			"-esl-address", sw.Addr(), "-esl-password", pw+"-wrong", "-log-level", "trace")
		out := &testutil.SyncBuffer{}
		wrong.Stdout, wrong.Stderr = out, out
		if err := wrong.Start(); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, 10*time.Second, "the wrong password to be refused", func() bool { return strings.Contains(out.String(), "authentication refused") })
		wrong.Process.Signal(syscall.SIGTERM)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		go func() { <-ctx.Done(); wrong.Process.Kill() }()
		wrong.Wait()
		s.cmd.Process.Signal(syscall.SIGTERM)
		<-s.exited
		s.exited <- nil // for the cleanup
		for name, logs := range map[string]string{"service": s.logs.String(), "wrong-password service": out.String()} {
			if strings.Contains(logs, pw) {
				t.Errorf("the ESL password appears in the %s log", name)
			}
		}
	})
}
