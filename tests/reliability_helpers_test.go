package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

// noLeaks makes t fail when goroutines started during the test are still
// running after every cleanup (server shutdown, switch close) has run.
// Call it first, so its cleanup runs last.
func noLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		if err := goleak.Find(ignore); err != nil {
			t.Errorf("goroutines left behind: %v", err)
		}
	})
}

// startRel starts an in-process fsstar server against a simulated switch
// (servertest.NewServer) with the reliability tests' hangup-grace of
// 500 ms, then edit's changes; opts add servertest options (WithSwitch,
// WithSwitchOptions).
func startRel(t *testing.T, scripts map[string]string, edit func(*server.Config), opts ...servertest.Option) *servertest.Server {
	t.Helper()
	grace := servertest.WithConfig(func(c *server.Config) { c.HangupGrace = 500 * time.Millisecond })
	return servertest.NewServer(t, scripts, append([]servertest.Option{grace, servertest.WithConfig(edit)}, opts...)...)
}

// count counts s in the server's log.
func count(h *servertest.Server, s string) int { return strings.Count(h.Logs(), s) }

func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// hookScript is a module whose handler sets a hangup hook that logs
// "HOOK-RAN <marker> <what>" and then runs body.
func hookScript(body string) string {
	return fmt.Sprintf(`
def hook(session, what, args):
    freeswitch.consoleLog("info", "HOOK-RAN %%s %%s\n" %% (args, what))

def handler(session, args):
    session.setHangupHook(hook, args)
%s
`, body)
}
