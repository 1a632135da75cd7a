package servertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/internal/testutil"
	"github.com/fsstar/fsstar/server"
)

// CallTimeout bounds Call: long enough for a script that runs to its step
// limit under the race detector, short enough that a call that never ends
// fails the test instead of hanging it.
const CallTimeout = 30 * time.Second

// connectTimeout bounds WaitConnected.
const connectTimeout = 10 * time.Second

// Server is an fsstar server serving the scripts in Dir, connected to the
// simulated switch Switch.
type Server struct {
	// Server is the fsstar server: Server.Addr() is its outbound listener
	// (where the switch's socket app connects), Server.HTTPAddr() its HTTP
	// gateway.
	Server *server.Server
	// Switch is the simulated switch: it places calls into Server and its
	// inbound Event Socket is the one Server connects to.
	Switch *esltest.Switch
	// Dir is the script directory Server serves.
	Dir string

	logs      *testutil.SyncBuffer // nil with WithLogger
	ownSwitch bool                 // Close closes Switch
	ownDir    bool                 // Close removes Dir
	closeOnce sync.Once
	closeErr  error
}

// NewServer starts a Server for a test: the scripts (slash-separated names
// relative to the script directory, "ivr/main.star", to their source) in
// tb.TempDir(), a switch from esltest.NewSwitch(tb), and a server.Server
// serving them, started. A failure ends the test; the test's cleanup calls
// Close and, when the test failed, prints the server's log.
func NewServer(tb testing.TB, scripts map[string]string, opts ...Option) *Server {
	tb.Helper()
	o := collect(opts)
	if err := o.check(); err != nil {
		tb.Fatal(err)
	}
	if o.dir == "" {
		o.dir = tb.TempDir()
	}
	if o.sw == nil {
		o.sw = esltest.NewSwitch(tb, o.swOpts...)
	}
	s, err := start(scripts, o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Close()
		if tb.Failed() && s.logs != nil {
			tb.Logf("fsstar logs:\n%s", s.logs)
		}
	})
	return s
}

// New is NewServer without a testing.TB: the directory, when WithDir does
// not name one, is a new temporary one, and the switch, when WithSwitch
// does not give one, is esltest.New's. The caller calls Close, which
// removes and closes those.
func New(scripts map[string]string, opts ...Option) (*Server, error) {
	o := collect(opts)
	if err := o.check(); err != nil {
		return nil, err
	}
	var ownDir, ownSwitch bool
	if o.dir == "" {
		d, err := os.MkdirTemp("", "servertest")
		if err != nil {
			return nil, fmt.Errorf("servertest: script directory: %w", err)
		}
		o.dir, ownDir = d, true
	}
	if o.sw == nil {
		sw, err := esltest.New(o.swOpts...)
		if err != nil {
			if ownDir {
				os.RemoveAll(o.dir)
			}
			return nil, fmt.Errorf("servertest: start the simulated switch: %w", err)
		}
		o.sw, ownSwitch = sw, true
	}
	s, err := start(scripts, o)
	if err != nil {
		if ownSwitch {
			o.sw.Close()
		}
		if ownDir {
			os.RemoveAll(o.dir)
		}
		return nil, err
	}
	s.ownDir, s.ownSwitch = ownDir, ownSwitch
	return s, nil
}

func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

func (o options) check() error {
	if o.sw != nil && len(o.swOpts) > 0 {
		return errors.New("servertest: WithSwitchOptions configures the switch the harness starts; with WithSwitch it starts none")
	}
	return nil
}

// start writes the scripts into o.dir and builds (and unless o.unstarted
// starts) the server against o.sw.
func start(scripts map[string]string, o options) (*Server, error) {
	if err := testutil.WriteTree(o.dir, scripts); err != nil {
		return nil, fmt.Errorf("servertest: %w", err)
	}
	cfg := server.DefaultConfig()
	cfg.ScriptDirs = []string{o.dir}
	cfg.Listen = "127.0.0.1:0"
	cfg.HTTPListen = "127.0.0.1:0"
	cfg.ESLAddress = o.sw.Addr()
	cfg.ESLPassword = o.sw.Password()
	cfg.Reload = "off"
	cfg.DrainTimeout = 5 * time.Second
	for _, edit := range o.edits {
		edit(&cfg)
	}
	s := &Server{Switch: o.sw, Dir: o.dir}
	log := o.logger
	if log == nil {
		// Everything from debug up, unless the test chose a log-level other
		// than the default (trace to see more, warn to keep a long run's
		// log small).
		level := hclog.Debug
		if cfg.LogLevel != "info" {
			level = hclog.LevelFromString(cfg.LogLevel)
		}
		s.logs = &testutil.SyncBuffer{}
		log = hclog.New(&hclog.LoggerOptions{Output: s.logs, Level: level})
	}
	// server.New's and Start's errors say "server: ..." already.
	srv, err := server.New(cfg, append([]server.Option{server.WithLogger(log)}, o.srvOpts...)...)
	if err != nil {
		return nil, err
	}
	s.Server = srv
	if !o.unstarted {
		if err := srv.Start(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Close drains the server as `fsstar serve` does on SIGTERM: calls in
// flight may finish for up to drain-timeout, then they are cancelled (see
// server.Server.Shutdown). Then it closes the switch and removes the
// directory if New made them; NewServer's belong to the test, which
// removes them at its end. Close may be called more than once: it returns
// the first Shutdown's error.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.Server.Config().DrainTimeout)
		defer cancel()
		s.closeErr = s.Server.Shutdown(ctx)
		if s.ownSwitch {
			s.Switch.Close()
		}
		if s.ownDir {
			os.RemoveAll(s.Dir)
		}
	})
	return s.closeErr
}

// Logs returns everything the server logged so far, one hclog text line per
// entry ("" with WithLogger).
func (s *Server) Logs() string {
	if s.logs == nil {
		return ""
	}
	return s.logs.String()
}

// URL returns the address of path on the server's HTTP gateway:
// URL("/api/tools?greet") is "http://127.0.0.1:<port>/api/tools?greet".
func (s *Server) URL(path string) string { return "http://" + s.Server.HTTPAddr() + path }

// Call places a call into the server, as the dialplan's `socket` app does,
// with the channel variables vars (fsstar_app names the module and its
// args), and waits until the call has hung up, at most CallTimeout. It
// returns the channel, to read its variables and the apps it ran, and the
// hangup cause. A call that cannot be placed or does not end fails tb.
func (s *Server) Call(tb testing.TB, vars map[string]string) (*esltest.Channel, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
	defer cancel()
	ch, err := s.Switch.PlaceCall(ctx, s.Server.Addr(), vars)
	if err != nil {
		tb.Fatalf("place a call with %v: %v", vars, err)
	}
	cause, err := ch.WaitHangup(ctx)
	if err != nil {
		tb.Fatalf("call %s did not end within %v: %v\nlogs:\n%s", ch.UUID(), CallTimeout, err, s.Logs())
	}
	return ch, cause
}

// WaitConnected waits until the server's inbound connection to the switch
// is up (server.Server.WaitConnected), so that a script's API() reaches the
// switch at once; it fails tb after 10 s.
func (s *Server) WaitConnected(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if err := s.Server.WaitConnected(ctx); err != nil {
		tb.Fatal(err)
	}
}

// WriteScript writes src to name (slash-separated, relative to Dir),
// creating directories as needed: a new module, or a new version of one
// for a server that reloads (WithConfig setting Reload).
func (s *Server) WriteScript(tb testing.TB, name, src string) {
	tb.Helper()
	testutil.WriteFiles(tb, s.Dir, map[string]string{name: src})
}
