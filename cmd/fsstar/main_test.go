package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run fsstar in-process: the scripts under
// testdata/script call it as the command "fsstar".
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"fsstar": func() { os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScript runs testdata/script/*.txtar, one subcommand's success and
// error paths per file.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("FSSTAR_HISTORY", env.WorkDir+"/history")
			scripts, err := filepath.Abs("../../scripts")
			if err != nil {
				return err
			}
			env.Setenv("SCRIPTS", scripts) // the examples, for the demo
			return nil
		},
	})
}
