package devtools

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/server"
)

// Run runs runtime(args) of module once, as `fsstar serve` would run a
// startup script, against the switch cfg names, and returns its result.
// Logs (print, consoleLog) go to logw. The error of a failed script wraps
// its *starlark.EvalError (see engine.Backtrace).
func Run(ctx context.Context, cfg server.Config, module, args string, logw io.Writer) (starlark.Value, error) {
	var v starlark.Value
	err := withServer(ctx, cfg, logw, func(s *server.Server) error {
		var err error
		v, err = s.RunJob(ctx, "", module, args)
		return err
	})
	return v, err
}

// API runs fsapi(None, stream, env, args) of module once against the
// switch cfg names and returns what it wrote to the stream (also when it
// failed part way).
func API(ctx context.Context, cfg server.Config, module, args string, logw io.Writer) (string, error) {
	var out string
	err := withServer(ctx, cfg, logw, func(s *server.Server) error {
		var err error
		out, err = s.FSAPI(ctx, module, args, nil)
		return err
	})
	return out, err
}

// withServer assembles the server from cfg with nothing a switch could call
// (outbound listener on a free loopback port, no HTTP gateway, no startup
// scripts, no reload, no orphan scan, no park mode), connects it to the
// first switch and runs f.
func withServer(ctx context.Context, cfg server.Config, logw io.Writer, f func(*server.Server) error) error {
	if err := Check(ctx, cfg.ESLAddress, cfg.ESLPassword); err != nil {
		return err
	}
	cfg.Listen = "127.0.0.1:0"
	cfg.HTTPListen = ""
	cfg.StartupScripts = nil
	cfg.Reload = "off"
	cfg.Park = false       // parked calls are the service's to claim
	cfg.ESLAddresses = nil // the first switch only (see Config.Switches)
	srv, err := server.New(cfg, server.WithLogger(Logger(cfg, logw)), server.WithoutOrphanScan())
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	// The switch answered Check just now, so the connection is quick.
	wctx, cancel := context.WithTimeoutCause(ctx, DialTimeout, errors.New("connection not established in time"))
	defer cancel()
	if err := srv.WaitConnected(wctx); err != nil {
		return &UnreachableError{Addr: cfg.ESLAddress, Err: err}
	}
	return f(srv)
}

// Logger is the log of a one-shot command: the script's print and
// consoleLog lines at the configured level, without the service's own
// chatter (the lines with a server.LifecycleKey field: serving, connected,
// draining) and without the engine's report of a failed call (an
// engine.OutcomeKey field), since the command prints the error and its
// backtrace itself.
func Logger(cfg server.Config, w io.Writer) hclog.Logger {
	level := hclog.LevelFromString(cfg.LogLevel)
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:        "fsstar",
		Level:       level,
		DisableTime: true,
		Output:      w,
		Exclude: func(_ hclog.Level, _ string, args ...any) bool {
			return quiet(args)
		},
	})
}

// quiet reports whether a line's fields (key, value, key, value...) mark it
// as one a one-shot command does not show.
func quiet(args []any) bool {
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok && (k == server.LifecycleKey || k == engine.OutcomeKey) {
			return true
		}
	}
	return false
}
