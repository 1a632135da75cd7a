package startest

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

// DefaultTimeScale is how fast simulated time runs unless told otherwise:
// a one-second prompt plays in 10 ms.
const DefaultTimeScale = 0.01

// Env is one simulated FreeSWITCH and one in-process fsstar server serving
// the scripts under Root, wired together as in production: the switch places
// calls into the server's outbound listener and the server's inbound ESL
// connection reaches the switch. It is a servertest.Server with the time
// scale, the log lines and the local web server fsstar test needs.
type Env struct {
	// Root is the script directory the server serves.
	Root string
	// Switch is the simulated switch.
	Switch *esltest.Switch
	// Server is the fsstar server.
	Server *server.Server
	// Scale is the switch's time scale (simulated time × Scale = real time).
	Scale float64

	h    *servertest.Server
	logs *logSink
	web  *web // the run's local web server (t.http), in http-allow-hosts
}

// EnvOptions configures NewEnv.
type EnvOptions struct {
	// Scale is the time scale of the simulated switch (DefaultTimeScale when 0).
	Scale float64
	// Log, when set, also receives the server's log lines as text.
	Log io.Writer
	// Config, when set, edits the server's configuration before it starts.
	Config func(*server.Config)
}

// NewEnv starts a simulated switch and a server over the scripts in root,
// both on 127.0.0.1 ports of their own (servertest.New), and waits until
// the server's inbound connection is up, so that API() works at once.
// Close stops both.
func NewEnv(root string, o EnvOptions) (*Env, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if o.Scale <= 0 {
		o.Scale = DefaultTimeScale
	}
	sink := newLogSink()
	out := o.Log
	if out == nil {
		out = io.Discard
	}
	log := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: "fsstar", Output: out, Level: hclog.Info})
	log.RegisterSink(sink)

	w := newWeb()
	h, err := servertest.New(nil,
		servertest.WithDir(abs),
		servertest.WithSwitchOptions(esltest.WithTimeScale(o.Scale)),
		servertest.WithLogger(log),
		servertest.WithConfig(func(cfg *server.Config) {
			cfg.DrainTimeout = 2 * time.Second
			cfg.LogLevel = "debug"
			cfg.HTTPAllowHosts = []string{w.hostPort()}
			if o.Config != nil {
				o.Config(cfg)
			}
		}))
	if err != nil {
		w.close()
		return nil, err
	}
	e := &Env{Root: abs, Switch: h.Switch, Server: h.Server, Scale: o.Scale, h: h, logs: sink, web: w}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Server.WaitConnected(ctx); err != nil {
		e.Close()
		return nil, fmt.Errorf("the server's inbound connection to the simulated switch: %w", err)
	}
	return e, nil
}

// Close shuts the server down (for up to its drain-timeout) and stops the
// switch and the local web server.
func (e *Env) Close() {
	e.h.Close()
	e.web.close()
}

// Real converts simulated time into real time.
func (e *Env) Real(simulated time.Duration) time.Duration {
	return time.Duration(float64(simulated) * e.Scale)
}

// Logs returns the script log lines (consoleLog, print, script errors) of
// the call or job with the given id, in order; all of them when id is "".
func (e *Env) Logs(id string) []LogLine { return e.logs.lines(id) }

// Subscribe calls fn for every log line from now on; cancel stops it.
func (e *Env) Subscribe(fn func(LogLine)) (cancel func()) { return e.logs.subscribe(fn) }
