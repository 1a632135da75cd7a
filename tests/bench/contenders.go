package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// contender is one way of serving the benchmark's calls.
type contender struct {
	Key  string // short name: fsstar, raw, modesl, switch
	Name string // as shown in the tables
	// App is the fsstar_app value its calls get (the flow).
	App string
	// Park says its calls reach it parked (park mode: the dialplan sets
	// the app variable and parks, the contender claims the call over its
	// inbound connection) instead of through the socket app.
	Park bool
	// Skip says why it cannot run on this machine ("" when it can).
	Skip  string
	start func(ctx context.Context, eslAddr string) (*child, error)
}

// env is what the contenders need from the run.
type env struct {
	root    string // module root
	self    string // this executable, for the raw contender
	fsstar  string // the built fsstar binary
	scripts string // tests/bench/scripts
	nodeDir string // tests/bench/node
	work    string // temp dir of this run
	profile string // where to write fsstar's CPU profiles ("" for none)
}

// contenders returns the floor (raw Go hanging up at once, to measure
// the simulated switch alone), the three contenders of issue 8 and fsstar
// in park mode (issue 14). fsstar in socket mode is always the second.
func (e *env) contenders(ctx context.Context) []*contender {
	raw := func(ctx context.Context, _ string) (*child, error) {
		return startChild(ctx, "raw", []string{e.self, "-role", "raw", "-listen", "127.0.0.1:0"}, nil, e.root, "", readyLine, nil)
	}
	socket := func(ctx context.Context, eslAddr string) (*child, error) {
		return e.startFsstar(ctx, eslAddr)
	}
	park := func(ctx context.Context, eslAddr string) (*child, error) {
		return e.startFsstar(ctx, eslAddr, "-park")
	}
	cs := []*contender{
		{Key: "switch", Name: "simulated switch alone (raw Go, hangs up at once)", App: appNull, start: raw},
		{Key: "fsstar", Name: "fsstar serve (Starlark)", App: appFlow, start: socket},
		{Key: "fsstar-park", Name: "fsstar serve, park mode (Starlark)", App: appFlow, Park: true, start: park},
		{Key: "raw", Name: "raw Go (esl package)", App: appFlow, start: raw},
		{Key: "modesl", Name: "Node modesl 1.2.1", App: appFlow, start: e.startModesl},
	}
	if e.fsstar == "" {
		cs[1].Skip = "the fsstar binary could not be built"
		cs[2].Skip = cs[1].Skip
	}
	cs[4].Skip = e.prepareNode(ctx)
	return cs
}

// freePort returns a 127.0.0.1 address nobody listens on right now.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startFsstar runs the built `fsstar serve` on the benchmark's scripts,
// its inbound ESL pointed at eslAddr, logging errors only; extra are more
// flags. With -park among them it is ready once /healthz says park mode
// has subscribed ("park: ready").
func (e *env) startFsstar(ctx context.Context, eslAddr string, extra ...string) (*child, error) {
	listen, err := freePort()
	if err != nil {
		return nil, err
	}
	httpAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	argv := []string{e.fsstar, "serve",
		"-listen", listen, "-http-listen", httpAddr,
		"-esl-address", eslAddr, "-esl-password", "ClueCon",
		"-script-directory", e.scripts,
		"-xml-handler-script", "bench.xml", "-xml-handler-bindings", "directory",
		"-log-level", "error", "-drain-timeout", "2s",
	}
	argv = append(argv, extra...)
	park := slices.Contains(extra, "-park")
	client := &http.Client{Timeout: time.Second}
	probe := func(c *child) bool {
		resp, err := client.Get("http://" + httpAddr + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			return false
		}
		return !park || strings.Contains(string(body), "park: ready")
	}
	var env []string
	pprofAddr := ""
	if e.profile != "" {
		if pprofAddr, err = freePort(); err != nil {
			return nil, err
		}
		env = append(env, "FSSTAR_PPROF_LISTEN="+pprofAddr)
	}
	logPath := ""
	if dir := os.Getenv("FSSTAR_BENCH_LOG_DIR"); dir != "" {
		// Debugging a contender: its whole output at debug level in a
		// file (this costs CPU: no benchmark).
		argv = append(argv, "-log-level", "debug")
		logPath = filepath.Join(dir, fmt.Sprintf("fsstar-%s.log", time.Now().UTC().Format("150405.000")))
	}
	c, err := startChild(ctx, "fsstar", argv, env, e.root, logPath, nil, probe)
	if err != nil {
		return nil, err
	}
	c.Addr, c.HTTP, c.PProf = listen, httpAddr, pprofAddr
	return c, nil
}

// prepareNode installs modesl into tests/bench/node with npm when it is
// not there yet; it returns why the modesl contender cannot run, or "".
func (e *env) prepareNode(ctx context.Context) string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not installed on this machine (PATH has no node)"
	}
	if _, err := os.Stat(filepath.Join(e.nodeDir, "node_modules", "modesl", "package.json")); err == nil {
		return ""
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "npm is not installed on this machine, so modesl could not be installed"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund")
	cmd.Dir = e.nodeDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Sprintf("npm install of modesl failed: %v: %.300s", err, out)
	}
	return ""
}

func (e *env) startModesl(ctx context.Context, _ string) (*child, error) {
	return startChild(ctx, "modesl", []string{"node", "handler.js", "0"}, nil, e.nodeDir, "", readyLine, nil)
}

// buildFsstar builds cmd/fsstar into dir; with pprof it adds the
// fsstar_pprof build tag (net/http/pprof on FSSTAR_PPROF_LISTEN), which
// the default build never has.
func buildFsstar(ctx context.Context, root, dir string, pprof bool) (string, error) {
	if _, err := os.Stat(filepath.Join(root, "cmd", "fsstar")); err != nil {
		return "", errors.New("cmd/fsstar is not on this branch")
	}
	out := filepath.Join(dir, "fsstar")
	args := []string{"build", "-o", out}
	if pprof {
		args = append(args, "-tags", "fsstar_pprof")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/fsstar")...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/fsstar: %v: %s", err, b)
	}
	return out, nil
}

// moduleRoot finds the directory of go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the fsstar repository")
		}
		dir = parent
	}
}

// profileDuring fetches a CPU profile of seconds from a child built with
// fsstar_pprof into path; the returned channel closes when it is written.
func profileDuring(c *child, seconds int, path string) <-chan struct{} {
	done := make(chan struct{})
	if c.PProf == "" || path == "" {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		client := &http.Client{Timeout: time.Duration(seconds+10) * time.Second}
		resp, err := client.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", c.PProf, seconds))
		if err != nil {
			logf("profile %s: %v", path, err)
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(path)
		if err != nil {
			logf("profile: %v", err)
			return
		}
		defer f.Close()
		io.Copy(f, resp.Body)
		logf("wrote %s", path)
	}()
	return done
}
