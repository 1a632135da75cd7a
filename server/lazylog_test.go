package server

import (
	"testing"

	"go.starlark.net/starlark"
)

func TestLazyLoggerBuildsOnFirstUse(t *testing.T) {
	z := newLazyLogger(&starlark.Thread{Name: "not an engine thread"})
	if z.l != nil {
		t.Fatal("logger built before use")
	}
	z.Info("hello") // a null logger for a thread the engine did not start
	if z.l == nil || z.thread != nil {
		t.Fatalf("after first use: l=%v thread=%v", z.l, z.thread)
	}
}
