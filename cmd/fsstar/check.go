package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/fsstar/fsstar/scriptcheck"
	"github.com/fsstar/fsstar/server"
)

// runCheck is `fsstar check [dir...]`: compile and validate every module,
// print every problem as file:line:col: message.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fsstar check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "configuration file; its script-directory params are checked when no dir is given")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fsstar check [-config fsstar.conf.xml] [dir...]\n\n"+
			"Compiles every .star module under the script directories (default: -config's, else ./scripts),\n"+
			"resolves every load(), checks the arity of entry points (handler 2, fsapi 4, runtime 1,\n"+
			"xml_fetch 1; test_* 1 in *_test.star) and runs each module's top level with no switch.\n"+
			"Prints every problem as file:line:col: message; exit status 1 if there is any.\n\nflags:")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg := server.DefaultConfig()
	if *configPath != "" {
		if err := server.LoadConfigFile(&cfg, *configPath); err != nil {
			fmt.Fprintln(stderr, "fsstar check:", err)
			return 2
		}
	}
	dirs := cfg.ScriptDirs
	if fs.NArg() > 0 {
		dirs = fs.Args()
	}
	res, err := scriptcheck.Check(dirs, scriptcheck.Options{Recursion: cfg.Recursion, MaxSteps: cfg.MaxSteps, MaxMemoryBytes: cfg.MaxCallMemoryBytes})
	if err != nil {
		fmt.Fprintln(stderr, "fsstar check:", err)
		return 2
	}
	for _, p := range res.Problems {
		fmt.Fprintln(stdout, p)
	}
	if len(res.Problems) > 0 {
		fmt.Fprintf(stderr, "%d problem%s in %d modules\n", len(res.Problems), plural(len(res.Problems)), res.Modules)
		return 1
	}
	fmt.Fprintf(stdout, "%d modules ok\n", res.Modules)
	return 0
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
