package engine_test

import (
	"strings"
	"sync"
	"testing"

	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/engine"
)

// The call's logger is built on first use from whichever goroutine logs
// first: a builtin's helper goroutine and the failing call's own error
// report race for it (run with -race).
func TestLoggerFromManyGoroutines(t *testing.T) {
	var wg sync.WaitGroup
	setup := engine.WithThreadSetup(func(thread *starlark.Thread, info engine.CallInfo) {
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				engine.Logger(thread).Info("from a goroutine", "n", i)
			}()
		}
	})
	f := newFixture(t, map[string]string{"ivr/main.star": "def handler(session, args):\n    fail(\"boom\")\n"}, nil, setup)
	info := engine.CallInfo{UUID: "7d0f3c1a-0c5e-4b51-9d8e-2f7a3c1b9e01", Module: "ivr.main"}
	if _, err := f.e.Handler(bg, info, starlark.None, starlark.String("")); err == nil {
		t.Fatal("handler did not fail")
	}
	wg.Wait()
	logs := f.log.String()
	if n := strings.Count(logs, "from a goroutine"); n != 4 {
		t.Errorf("%d goroutine lines, want 4:\n%s", n, logs)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if strings.Contains(line, "from a goroutine") && !strings.Contains(line, "uuid="+info.UUID) {
			t.Errorf("line without the call's uuid: %s", line)
		}
	}
}
