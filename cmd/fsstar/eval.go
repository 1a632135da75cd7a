package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/fsstar/fsstar/devtools"
	"github.com/fsstar/fsstar/repl"
)

// runEval is `fsstar eval`: a REPL against the switch, or one chunk from -c
// or a file.
func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fsstar eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addSwitchFlags(fs)
	command := fs.String("c", "", "evaluate this Starlark and exit (an expression's value is printed)")
	history := fs.String("history", defaultHistory(), "history file of the interactive REPL (env FSSTAR_HISTORY; \"\" keeps none)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fsstar eval [flags]              interactive REPL connected to the switch\n"+
			"       fsstar eval [flags] -c 'expr'    evaluate once\n"+
			"       fsstar eval [flags] file.star    run a file once\n\nflags:")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 1 || fs.NArg() == 1 && *command != "" {
		fmt.Fprintln(stderr, "fsstar eval: give -c or one file, not both or several")
		return 2
	}
	cfg, err := sf.load()
	if err != nil {
		fmt.Fprintln(stderr, "fsstar eval:", err)
		return 2
	}
	stopSim, err := sf.startSim(&cfg)
	if err != nil {
		fmt.Fprintln(stderr, "fsstar eval:", err)
		return 1
	}
	defer stopSim()
	ctx := context.Background()
	client, err := devtools.Dial(ctx, cfg.ESLAddress, cfg.ESLPassword)
	if err != nil {
		reportSwitchError(stderr, "eval", err)
		return 1
	}
	defer client.Close()

	interactive := *command == "" && fs.NArg() == 0
	r, err := repl.New(repl.Options{
		ScriptDirs: existingDirs(cfg.ScriptDirs, sf.dirsGiven()),
		Watch:      interactive,
		Client:     client,
		Stdout:     stdout,
		Stderr:     stderr,
		Logger:     devtools.Logger(cfg, stderr),
		Recursion:  cfg.Recursion,
	})
	if err != nil {
		fmt.Fprintln(stderr, "fsstar eval:", err)
		return 1
	}
	defer r.Close()

	switch {
	case *command != "":
		return evalOnce(ctx, r, "<-c>", []byte(*command), stderr)
	case fs.NArg() == 1:
		src, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			fmt.Fprintln(stderr, "fsstar eval:", err)
			return 1
		}
		return evalOnce(ctx, r, fs.Arg(0), src, stderr)
	}
	terminal := repl.IsTerminal(os.Stdin) && isTerminalWriter(stdout)
	if terminal {
		fmt.Fprintf(stderr, "fsstar eval: connected to %s; freeswitch, json, time, math, files are loaded. Ctrl-D leaves.\n", cfg.ESLAddress)
	}
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt)
	defer signal.Stop(interrupt)
	err = r.Loop(ctx, repl.LoopOptions{Stdin: os.Stdin, Terminal: terminal, HistoryFile: *history, Interrupt: interrupt})
	if err != nil {
		fmt.Fprintln(stderr, "fsstar eval:", err)
		return 1
	}
	return 0
}

func evalOnce(ctx context.Context, r *repl.REPL, name string, src []byte, stderr io.Writer) int {
	if err := r.Exec(ctx, name, src); err != nil {
		repl.PrintError(stderr, err)
		return 1
	}
	return 0
}

// defaultHistory is $FSSTAR_HISTORY, else ~/.fsstar_history.
func defaultHistory() string {
	if h, ok := os.LookupEnv("FSSTAR_HISTORY"); ok {
		return h
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".fsstar_history")
}

// existingDirs drops the default script directory when it does not exist
// (eval works without scripts); directories given explicitly are kept, so
// a typo is reported.
func existingDirs(dirs []string, given bool) []string {
	if given {
		return dirs
	}
	var out []string
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			out = append(out, d)
		}
	}
	return out
}

func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && repl.IsTerminal(f)
}
