package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/internal/testutil"
	"github.com/fsstar/fsstar/server"
)

// relHarness is an in-process fsstar server (server.New) serving calls
// from a simulated switch, with every log line captured.
type relHarness struct {
	t    *testing.T
	srv  *server.Server
	sw   *esltest.Switch
	dir  string
	logs *testutil.SyncBuffer
	stop func() error
}

// noLeaks makes t fail when goroutines started during the test are still
// running after every cleanup (server shutdown, switch close) has run.
// Call it first, so its cleanup runs last.
func noLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		if err := goleak.Find(ignore); err != nil {
			t.Errorf("goroutines left behind: %v", err)
		}
	})
}

// startRel starts a switch and an in-process server on loopback ports.
func startRel(t *testing.T, scripts map[string]string, edit func(*server.Config), swOpts ...esltest.Option) *relHarness {
	t.Helper()
	swOpts = append([]esltest.Option{esltest.WithLogger(hclog.NewNullLogger())}, swOpts...)
	sw := esltest.NewSwitch(t, swOpts...)
	return startRelWith(t, sw, scripts, edit)
}

// startRelWith starts an in-process server against sw.
func startRelWith(t *testing.T, sw *esltest.Switch, scripts map[string]string, edit func(*server.Config)) *relHarness {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	dir := t.TempDir()
	testutil.WriteFiles(t, dir, scripts)
	cfg := server.DefaultConfig()
	cfg.ScriptDirs = []string{dir}
	cfg.Listen = "127.0.0.1:0"
	cfg.HTTPListen = "127.0.0.1:0"
	cfg.ESLAddress = sw.Addr()
	cfg.ESLPassword = sw.Password()
	cfg.Reload = "off"
	cfg.DrainTimeout = 5 * time.Second
	cfg.HangupGrace = 500 * time.Millisecond
	if edit != nil {
		edit(&cfg)
	}
	level := hclog.Debug // the default "info" means: capture everything
	if cfg.LogLevel != "info" {
		level = hclog.LevelFromString(cfg.LogLevel)
	}
	srv, err := server.New(cfg, server.WithLogger(hclog.New(&hclog.LoggerOptions{Output: logs, Level: level})))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	h := &relHarness{t: t, srv: srv, sw: sw, dir: dir, logs: logs}
	stopped := false
	h.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	}
	t.Cleanup(func() {
		h.stop()
		if t.Failed() {
			t.Logf("fsstar logs:\n%s", logs)
		}
	})
	return h
}

// waitConnected waits until the shared inbound client is connected.
func (h *relHarness) waitConnected() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.srv.WaitConnected(ctx); err != nil {
		h.t.Fatal(err)
	}
}

// place places a call into the server and waits for it to end.
func (h *relHarness) place(vars map[string]string, within time.Duration) (*esltest.Channel, string) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	ch, err := h.sw.PlaceCall(ctx, h.srv.Addr(), vars)
	if err != nil {
		h.t.Fatal(err)
	}
	cause, err := ch.WaitHangup(ctx)
	if err != nil {
		h.t.Fatalf("call %s did not end within %v: %v", ch.UUID(), within, err)
	}
	return ch, cause
}

func (h *relHarness) count(s string) int { return strings.Count(h.logs.String(), s) }

func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// hookScript is a module whose handler sets a hangup hook that logs
// "HOOK-RAN <marker> <what>" and then runs body.
func hookScript(body string) string {
	return fmt.Sprintf(`
def hook(session, what, args):
    freeswitch.consoleLog("info", "HOOK-RAN %%s %%s\n" %% (args, what))

def handler(session, args):
    session.setHangupHook(hook, args)
%s
`, body)
}
