// Command fsstar runs Starlark call scripts for FreeSWITCH.
//
//	fsstar serve [flags]               the long-running service (see fsstar serve -h)
//	fsstar eval [flags] [-c expr|file] a REPL connected to the switch, or one chunk
//	fsstar run [flags] module args...  runtime(args) once (mod_python's pyrun)
//	fsstar api [flags] module args...  fsapi once; prints what it wrote
//	fsstar check [dir...]              compile and validate every module
//	fsstar test [dir]                  run *_test.star files against the simulated switch
//	fsstar demo                        calls into scripts/ on a simulated switch, narrated
//
// Each subcommand lives in its own file and adds itself to the table below.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand: run gets the arguments after its name and
// returns the process exit code.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands returns the subcommand table, each implemented in its own file
// (serve.go shows the shape).
func commands() map[string]command {
	return map[string]command{
		"serve": {summary: "serve calls (outbound ESL), fsapi/xml_fetch/runtime over HTTP, metrics", run: runServe},
		"eval":  {summary: "Starlark REPL connected to the switch (or -c expr, or a file, once)", run: runEval},
		"run":   {summary: "run runtime(args) of a module once against the switch (pyrun)", run: runRun},
		"api":   {summary: "run fsapi of a module once against the switch and print what it wrote", run: runAPI},
		"check": {summary: "compile every module, resolve loads, check entry-point arity", run: runCheck},
		"test":  {summary: "run *_test.star files against the simulated switch", run: runTest},
		"demo":  {summary: "place a few calls into scripts/ on a simulated switch and show what happens", run: runDemo},
	}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "fsstar: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return cmd.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fsstar <command> [flags]\n\ncommands:")
	table := commands()
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, table[n].summary)
	}
	fmt.Fprintln(w, "\nRun fsstar <command> -h for its flags.")
}
