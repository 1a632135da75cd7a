package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/devtools"
	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/server"
)

// runRun is `fsstar run module args...`: runtime(args) once, as
// mod_python's pyrun.
func runRun(args []string, stdout, stderr io.Writer) int {
	return oneShot("run", "runtime(args) of module once, against the switch; its value is printed unless None",
		args, stdout, stderr,
		func(ctx context.Context, cfg server.Config, module, margs string) (string, error) {
			v, err := devtools.Run(ctx, cfg, module, margs, stderr)
			if err != nil || v == nil || v == starlark.None {
				return "", err
			}
			return v.String() + "\n", nil
		})
}

// runAPI is `fsstar api module args...`: fsapi(None, stream, env, args)
// once; what it wrote to the stream is printed.
func runAPI(args []string, stdout, stderr io.Writer) int {
	return oneShot("api", "fsapi(None, stream, env, args) of module once, against the switch; prints what it wrote",
		args, stdout, stderr,
		func(ctx context.Context, cfg server.Config, module, margs string) (string, error) {
			return devtools.API(ctx, cfg, module, margs, stderr)
		})
}

// oneShot is the shared shape of run and api: flags, module and arguments,
// the switch (or -sim), then f's output on stdout and its error with the
// Starlark backtrace on stderr.
func oneShot(name, summary string, args []string, stdout, stderr io.Writer,
	f func(ctx context.Context, cfg server.Config, module, args string) (string, error)) int {
	fs := flag.NewFlagSet("fsstar "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addSwitchFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: fsstar %s [flags] module[::function] [args...]\n\nRuns %s.\n\nflags:\n", name, summary)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	cfg, err := sf.load()
	if err != nil {
		fmt.Fprintf(stderr, "fsstar %s: %v\n", name, err)
		return 2
	}
	stopSim, err := sf.startSim(&cfg)
	if err != nil {
		fmt.Fprintf(stderr, "fsstar %s: %v\n", name, err)
		return 1
	}
	defer stopSim()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out, err := f(ctx, cfg, fs.Arg(0), strings.Join(fs.Args()[1:], " "))
	io.WriteString(stdout, out)
	if out != "" && !strings.HasSuffix(out, "\n") && isTerminalWriter(stdout) {
		io.WriteString(stdout, "\n") // keep the shell prompt off the output
	}
	if err != nil {
		if bt := engine.Backtrace(err); bt != "" {
			fmt.Fprintln(stderr, bt)
			return 1
		}
		reportSwitchError(stderr, name, err)
		return 1
	}
	return 0
}
