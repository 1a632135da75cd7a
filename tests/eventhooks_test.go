package tests

import (
	"context"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/google/uuid"
)

// TestEventHooksSimulated and TestEventHooksFreeSWITCH: fsstar serve with an
// event-hook param runs the module's event_hook(event) for a CUSTOM event
// another client fires on the switch.
func TestEventHooksSimulated(t *testing.T) {
	sw := esltest.NewSwitch(t)
	runEventHooks(t, sw.Addr(), "ClueCon")
}

func TestEventHooksFreeSWITCH(t *testing.T) {
	addr, pw := realSwitch(t)
	runEventHooks(t, addr, pw)
}

func runEventHooks(t *testing.T, addr, pw string) {
	s := startService(t, addr, pw, "-event-hook", "CUSTOM/fsstar::ping e2e.hooks")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := dialSwitch(ctx, t, addr, pw)
	c.API(ctx, "global_setvar fsstar_e2e_hooked=")
	ping := uuid.NewString()
	for deadline := time.Now().Add(15 * time.Second); ; {
		// Fired until the hook has run: the service subscribes once it
		// has connected, a moment after /healthz says so.
		ev := &esl.Event{}
		ev.Headers.Add("Event-Name", "CUSTOM")
		ev.Headers.Add("Event-Subclass", "fsstar::ping")
		ev.Headers.Add("Ping", ping)
		if _, err := c.SendEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if v, _ := c.API(ctx, "global_getvar fsstar_e2e_hooked"); v == ping {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event hook never ran; logs:\n%s", s.logs)
		}
	}
	if m := metric(t, s, `fsstar_event_hooks_total{module="e2e.hooks",outcome="ok"}`); m == "" || m == "0" {
		t.Errorf("fsstar_event_hooks_total ok = %q", m)
	}
}
