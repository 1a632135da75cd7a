// Package tests runs the built fsstar binary against the simulated switch
// (esltest) and, when FSSTAR_TEST_FREESWITCH=host:port is set, against a real
// FreeSWITCH.
package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/internal/testutil"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fsstar-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "fsstar")
	out, err := exec.Command("go", "build", "-race", "-o", binary, "../cmd/fsstar").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// service is one fsstar serve process.
type service struct {
	cmd     *exec.Cmd
	logs    *testutil.SyncBuffer
	listen  string
	http    string
	scripts string
	exited  chan error
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startService copies testdata/scripts to a temporary directory and starts
// fsstar serve on free loopback ports against the switch at eslAddr.
func startService(t *testing.T, eslAddr, password string, extra ...string) *service {
	t.Helper()
	scripts := t.TempDir()
	if err := os.CopyFS(scripts, os.DirFS("testdata/scripts")); err != nil {
		t.Fatal(err)
	}
	s := &service{logs: &testutil.SyncBuffer{}, listen: freeAddr(t), http: freeAddr(t), scripts: scripts, exited: make(chan error, 1)}
	args := append([]string{"serve", "-script-directory", scripts, "-listen", s.listen, "-http-listen", s.http,
		"-esl-address", eslAddr, "-esl-password", password, "-log-level", "debug"}, extra...)
	runService(t, s, "", args)
	return s
}

// runService starts `fsstar <args>` in dir ("" for the test's own), stops
// it (SIGTERM, then kill) when the test ends, and waits until its /healthz
// on s.http says it is connected to the switch; it fails the test with the
// logs when the process exits or does not get there in 15 s.
func runService(t *testing.T, s *service, dir string, args []string) {
	t.Helper()
	s.cmd = exec.Command(binary, args...)
	s.cmd.Dir = dir
	s.cmd.Stderr = s.logs
	s.cmd.Stdout = s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("fsstar logs:\n%s", s.logs)
		}
	})
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-s.exited:
			t.Fatalf("fsstar exited (%v); logs:\n%s", err, s.logs)
		default:
		}
		if resp, err := client.Get("http://" + s.http + "/healthz"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), "esl: connected") && !strings.Contains(string(b), "park: starting") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("fsstar did not become healthy; logs:\n%s", s.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *service) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + s.http + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func metric(t *testing.T, s *service, name string) string {
	_, m := s.get(t, "/metrics")
	for _, line := range strings.Split(m, "\n") {
		if strings.HasPrefix(line, name+" ") {
			return strings.TrimPrefix(line, name+" ")
		}
	}
	return ""
}

func TestServeSimulated(t *testing.T) {
	sw := esltest.NewSwitch(t)
	s := startService(t, sw.Addr(), sw.Password(), "-xml-handler-script", "e2e.tools", "-xml-handler-bindings", "dialplan")

	t.Run("50 concurrent calls", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ch, err := sw.PlaceCall(ctx, s.listen, map[string]string{"fsstar_app": fmt.Sprintf("e2e.calls n%d", i)})
				if err != nil {
					errs <- err
					return
				}
				cause, err := ch.WaitHangup(ctx)
				var apps []string
				for _, a := range ch.Apps() {
					apps = append(apps, a.Name)
				}
				switch {
				case err != nil:
					errs <- fmt.Errorf("call %d: %v", i, err)
				case cause != "NORMAL_CLEARING" || ch.Var("e2e_done") != fmt.Sprintf("n%d", i):
					errs <- fmt.Errorf("call %d: cause %s, e2e_done %q", i, cause, ch.Var("e2e_done"))
				case !strings.HasPrefix(strings.Join(apps, ","), "answer,playback"):
					errs <- fmt.Errorf("call %d: apps %v", i, apps)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if got := metric(t, s, `fsstar_calls_total{outcome="ok"}`); got != "50" {
			t.Errorf("fsstar_calls_total ok = %q, want 50", got)
		}
	})

	t.Run("fsapi as mod_curl", func(t *testing.T) {
		// The request mod_curl makes (07b-curl-http), with a literal space.
		c, err := net.Dial("tcp", s.http)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprint(c, "GET /api/e2e.tools?greet 1000 HTTP/1.1\r\nHost: "+s.http+"\r\nUser-Agent: freeswitch-curl/1.0\r\nAccept: */*\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(b) != "hello greet 1000" {
			t.Errorf("fsapi: %d %q", resp.StatusCode, b)
		}
	})

	t.Run("xml_curl dialplan fetch", func(t *testing.T) {
		raw, err := os.ReadFile("../../shared/esl-transcripts/06b-xml-curl-http-parsed.json")
		if err != nil {
			t.Skipf("transcripts not available: %v", err)
		}
		var reqs []struct{ Form map[string]string }
		json.Unmarshal(raw, &reqs)
		v := url.Values{}
		for k, x := range reqs[0].Form {
			v.Set(k, x)
		}
		v.Set("Caller-Destination-Number", "7001")
		req, _ := http.NewRequest("POST", "http://"+s.http+"/xml", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "freeswitch-xml/1.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `<extension name="7001"/>`) || resp.Header.Get("Content-Type") != "text/xml" {
			t.Errorf("xml: %q", b)
		}
	})

	t.Run("runtime job", func(t *testing.T) {
		resp, err := http.Post("http://"+s.http+"/run/e2e.tools?nightly", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("run: %d", resp.StatusCode)
		}
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(s.logs.String(), "RUNTIME JOB nightly") {
			if time.Now().After(deadline) {
				t.Fatal("job did not run")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if got := metric(t, s, `fsstar_entry_calls_total{entry="runtime"}`); got != "1" {
			t.Errorf("runtime metric %q", got)
		}
	})

	t.Run("edit while serving", func(t *testing.T) {
		src := "def handler(session, args):\n    session.setVariable(\"e2e_done\", \"v2\")\n"
		if err := os.WriteFile(filepath.Join(s.scripts, "e2e", "calls.star"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			ch, err := sw.PlaceCall(ctx, s.listen, map[string]string{"fsstar_app": "e2e.calls"})
			if err != nil {
				cancel()
				t.Fatal(err)
			}
			ch.WaitHangup(ctx)
			cancel()
			if ch.Var("e2e_done") == "v2" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the new version never served")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if got := metric(t, s, "fsstar_module_reloads_total"); got == "" || got == "0" {
			t.Errorf("reload metric %q", got)
		}
	})
}

// TestDrainOnSIGTERM: calls in flight finish their script after SIGTERM and
// the process exits cleanly.
func TestDrainOnSIGTERM(t *testing.T) {
	sw := esltest.NewSwitch(t, esltest.WithTimeScale(1))
	s := startService(t, sw.Addr(), sw.Password())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var chans []*esltest.Channel
	for range 5 {
		ch, err := sw.PlaceCall(ctx, s.listen, map[string]string{"fsstar_app": "e2e.calls::slow"})
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	for _, ch := range chans {
		for !ch.Answered() {
			time.Sleep(5 * time.Millisecond)
		}
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	for i, ch := range chans {
		cause, err := ch.WaitHangup(ctx)
		if err != nil || cause != "NORMAL_CLEARING" || ch.Var("e2e_done") != "slow" {
			t.Errorf("call %d: cause %q err %v e2e_done %q", i, cause, err, ch.Var("e2e_done"))
		}
	}
	select {
	case err := <-s.exited:
		if err != nil {
			t.Errorf("fsstar exited with %v", err)
		}
	case <-ctx.Done():
		t.Fatal("fsstar did not exit after SIGTERM")
	}
	// New calls are refused once draining started: the switch's socket app fails.
	s.exited <- nil // let Cleanup see the exit
}
