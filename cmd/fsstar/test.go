package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/fsstar/fsstar/startest"
)

// runTest is `fsstar test [dir] [module...] [-run pattern] [-v]`: the
// *_test.star files of a script directory (or the tests of the named
// modules) against the simulated switch.
func runTest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fsstar test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	run := fs.String("run", "", "run only the tests whose name matches this regular expression")
	verbose := fs.Bool("v", false, "print every test as it runs, and t.log output")
	scripts := fs.String("scripts", "", "script directory for module arguments (default ./scripts, else .)")
	speed := fs.Float64("speed", startest.DefaultTimeScale, "time scale of the simulated switch (real time = simulated × speed)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fsstar test [dir] [module...] [-run pattern] [-v]\n\n"+
			"Runs the test_*(t) functions of *_test.star files against a simulated switch.\n"+
			"A directory is the script directory to test; a module (ivr.main) runs ivr/main_test.star.\n\nflags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	o := startest.Options{Run: *run, Verbose: *verbose, Scale: *speed, Out: stdout}
	switch {
	case len(pos) > 0 && isDir(pos[0]):
		o.Root, o.Modules = pos[0], pos[1:]
	default:
		o.Root = *scripts
		if o.Root == "" {
			o.Root = "."
			if isDir("scripts") {
				o.Root = "scripts"
			}
		}
		o.Modules = pos
	}
	o.Label = filepath.Clean(o.Root)
	sum, err := startest.Run(o)
	if err != nil {
		fmt.Fprintf(stderr, "fsstar test: %v\n", err)
		return 2
	}
	return sum.ExitCode()
}

// parseInterleaved parses flags that may come after positional arguments
// (fsstar test scripts -v) and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
