package server

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/internal/testutil"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// harness is a Server started against a simulated switch, with its scripts
// in a temporary directory and its log in a buffer.
type harness struct {
	t    *testing.T
	srv  *Server
	sw   *esltest.Switch
	dir  string
	logs *testutil.SyncBuffer
}

func start(t *testing.T, scripts map[string]string, edit func(*Config), before ...func(*esltest.Switch)) *harness {
	t.Helper()
	return startOpts(t, scripts, edit, nil, before...)
}

// startWith is start with server options.
func startWith(t *testing.T, scripts map[string]string, edit func(*Config), opts ...Option) *harness {
	t.Helper()
	return startOpts(t, scripts, edit, opts)
}

func startOpts(t *testing.T, scripts map[string]string, edit func(*Config), opts []Option, before ...func(*esltest.Switch)) *harness {
	t.Helper()
	sw := esltest.NewSwitch(t)
	for _, f := range before {
		f(sw)
	}
	return startOn(t, sw, scripts, edit, opts)
}

// startWithSwitch starts another server on the switch sw (several fsstar
// instances serving one switch).
func startWithSwitch(t *testing.T, sw *esltest.Switch, edit func(*Config)) *harness {
	t.Helper()
	return startOn(t, sw, nil, edit, nil)
}

func startOn(t *testing.T, sw *esltest.Switch, scripts map[string]string, edit func(*Config), opts []Option) *harness {
	t.Helper()
	dir := t.TempDir()
	testutil.WriteFiles(t, dir, scripts)
	cfg := DefaultConfig()
	cfg.ScriptDirs = []string{dir}
	cfg.Listen = "127.0.0.1:0"
	cfg.HTTPListen = "127.0.0.1:0"
	cfg.ESLAddress = sw.Addr()
	cfg.ESLPassword = sw.Password()
	cfg.Reload = "off"
	cfg.DrainTimeout = 5 * time.Second
	if edit != nil {
		edit(&cfg)
	}
	logs := &testutil.SyncBuffer{}
	srv, err := New(cfg, append([]Option{WithLogger(hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug}))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return &harness{t: t, srv: srv, sw: sw, dir: dir, logs: logs}
}

func (h *harness) call(vars map[string]string) (*esltest.Channel, string) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := h.sw.PlaceCall(ctx, h.srv.Addr(), vars)
	if err != nil {
		h.t.Fatal(err)
	}
	cause, err := ch.WaitHangup(ctx)
	if err != nil {
		h.t.Fatalf("call %s did not end: %v\nlogs:\n%s", ch.UUID(), err, h.logs)
	}
	return ch, cause
}

func (h *harness) url(path string) string { return "http://" + h.srv.HTTPAddr() + path }

func appNames(ch *esltest.Channel) []string {
	var out []string
	for _, a := range ch.Apps() {
		out = append(out, a.Name+" "+a.Arg)
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
