package tests

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// realSwitch returns the address and password of a real FreeSWITCH from
// FSSTAR_TEST_FREESWITCH (host:port) and FSSTAR_TEST_FREESWITCH_PASSWORD,
// or skips the test saying why. docs/freeswitch-setup.md lists the modules
// and conf/ snippets the switch needs.
func realSwitch(t *testing.T) (addr, password string) {
	addr = os.Getenv("FSSTAR_TEST_FREESWITCH")
	if addr == "" {
		t.Skip("FSSTAR_TEST_FREESWITCH=host:port is not set: no real FreeSWITCH to test against (see docs/freeswitch-setup.md)")
	}
	password = os.Getenv("FSSTAR_TEST_FREESWITCH_PASSWORD")
	if password == "" {
		password = "ClueCon"
	}
	return addr, password
}

// dialSwitch connects to the switch's inbound event socket at addr for the
// test's length.
func dialSwitch(ctx context.Context, t *testing.T, addr, pw string) *esl.Client {
	t.Helper()
	c, err := esl.Dial(ctx, addr, esl.WithPassword(pw))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// parkExt is the loopback destination of a test call's far end, which
// answers and parks: FSSTAR_TEST_FREESWITCH_EXT ("<ext>/<context>"), by
// default the test switch's park/fsstar_test (the simulated switch's built-in
// park route).
func parkExt() string {
	if ext := os.Getenv("FSSTAR_TEST_FREESWITCH_EXT"); ext != "" {
		return ext
	}
	return "park/fsstar_test"
}

// TestServeFreeSWITCH places loopback calls with originate into fsstar's
// outbound socket on a real switch and runs fsapi through the switch's own
// mod_curl. The switch must reach fsstar's listeners on 127.0.0.1 (same host).
func TestServeFreeSWITCH(t *testing.T) {
	addr, pw := realSwitch(t)
	s := startService(t, addr, pw)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dialSwitch(ctx, t, addr, pw)

	// A call: the a-leg runs the socket app towards fsstar; the loopback
	// b-leg answers and parks in the test switch's fsstar_test context
	// (tools/freeswitch/conf-overlay/dialplan/fsstar_test.xml).
	ext := parkExt()
	// The originate api splits its line on blanks: a {var} value with a
	// blank is quoted.
	out, err := c.API(ctx, "originate {fsstar_app='e2e.calls real'}loopback/"+ext+" &socket('"+s.listen+" async full')")
	if err != nil && !strings.Contains(err.Error(), "NORMAL_CLEARING") {
		t.Fatalf("originate: %q %v", out, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for metric(t, s, `fsstar_calls_total{outcome="ok"}`) != "1" {
		if time.Now().After(deadline) {
			t.Fatalf("the call did not complete in fsstar")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// fsapi exactly as the switch's mod_curl sends it.
	out, err = c.API(ctx, "curl http://"+s.http+"/api/e2e.tools?greet%201000")
	if err != nil || strings.TrimSpace(out) != "hello greet 1000" {
		t.Errorf("api curl: %q %v", out, err)
	}
}
