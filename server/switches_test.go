package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

// TestSeveralSwitches: one instance serves two switches. A call's
// freeswitch.Session(dest) originates on the call's own switch, in socket
// mode (found by the connect reply's Core-UUID) and in park mode (the
// switch whose park connection claimed it); each switch's parked calls are
// claimed there.
func TestSeveralSwitches(t *testing.T) {
	const script = `
def handler(session, args):
    session.answer()
    session.execute("log", "INFO ran")
    leg = freeswitch.Session("loopback/park")
    session.setVariable("leg_uuid", leg.uuid)
    leg.hangup()
    session.hangup()
`
	sw2 := esltest.NewSwitch(t, esltest.WithCoreUUID("22222222-2222-4222-8222-222222222222"))
	h := servertest.NewServer(t, map[string]string{"two.star": script}, servertest.WithConfig(func(c *server.Config) {
		parkOn(c)
		c.ESLAddresses = []string{c.ESLAddress, sw2.Addr()}
	}))
	if got := h.Server.Switches(); got != 2 {
		t.Fatalf("%d switches served, want 2", got)
	}
	waitFor(t, "park mode on both switches", func() bool {
		for i := range h.Server.Switches() {
			if !h.Server.ParkStarted(i) || h.Server.CoreUUID(i) == "" {
				return false
			}
		}
		return true
	})
	for _, sw := range []*esltest.Switch{h.Switch, sw2} {
		other := sw2
		if sw == sw2 {
			other = h.Switch
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		sock, err := sw.PlaceCall(ctx, h.Server.Addr(), map[string]string{"fsstar_app": "two"})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range []*esltest.Channel{sock, parked(t, sw, "two", nil)} {
			waitHangup(t, ch, h)
			if ranCount(ch) != 1 {
				t.Errorf("%s: script ran %d times, want 1; apps %q\n%s", ch.UUID(), ranCount(ch), appNames(ch), h.Logs())
			}
			leg := ch.Var("leg_uuid")
			if leg == "" || sw.Channel(leg) == nil || other.Channel(leg) != nil {
				t.Errorf("call %s on switch %s: its Session(dest) leg %q was not originated on its own switch", ch.UUID(), sw.CoreUUID(), leg)
			}
		}
	}
	_, body, _ := do(t, "GET", h.URL("/healthz"), "", nil)
	if !strings.Contains(body, "esl "+sw2.Addr()+": connected") || !strings.Contains(body, "park "+sw2.Addr()+": ready") {
		t.Errorf("healthz does not report the second switch:\n%s", body)
	}
}
