package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/loader"
	"go.starlark.net/starlark"
)

func Example() {
	dir, _ := os.MkdirTemp("", "fsstar-example")
	defer os.RemoveAll(dir)
	os.MkdirAll(filepath.Join(dir, "ivr"), 0o755)
	os.WriteFile(filepath.Join(dir, "ivr", "main.star"), []byte(`
def handler(session, args):
    return "day: " + args

def night(session, args):
    return "night: " + args
`), 0o644)

	ld, err := loader.New([]string{dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ld.Close()
	e := engine.New(ld, engine.WithMaxSteps(1_000_000))

	for _, spec := range []string{"ivr.main", "ivr.main::night"} {
		v, err := e.Handler(context.Background(), engine.CallInfo{UUID: "c0ffee", Module: spec}, starlark.None, starlark.String("1000"))
		fmt.Println(v, err)
	}
	// Output:
	// "day: 1000" <nil>
	// "night: 1000" <nil>
}
