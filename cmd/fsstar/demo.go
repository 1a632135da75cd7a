package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/fsstar/fsstar/startest"
)

// runDemo is `fsstar demo`: calls into scripts/ on a simulated switch,
// narrated.
func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fsstar demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scripts := fs.String("scripts", "scripts", "script directory with the examples")
	speed := fs.Float64("speed", 0.05, "time scale of the simulated switch (real time = simulated × speed)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fsstar demo [-scripts dir] [-speed f]\n\n"+
			"Starts fsstar with a simulated FreeSWITCH, places a few calls into the example\nscripts and shows what happens.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || *speed <= 0 {
		fs.Usage()
		return 2
	}
	if !isDir(*scripts) {
		fmt.Fprintf(stderr, "fsstar demo: no script directory %s (run it from the repository root, or give -scripts)\n", *scripts)
		return 2
	}
	if err := startest.Demo(startest.DemoOptions{Scripts: *scripts, Scale: *speed, Out: stdout}); err != nil {
		fmt.Fprintf(stderr, "fsstar demo: %v\n", err)
		return 1
	}
	return 0
}
