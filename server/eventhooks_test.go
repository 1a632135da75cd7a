package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

const eventHookScript = `
def event_hook(event):
    freeswitch.API().execute("global_setvar", "hooked_" + event.getHeader("X") + "=" + event.getHeader("Event-Subclass"))

def slow(event):
    freeswitch.msleep(400)
    freeswitch.API().execute("global_setvar", "slow_" + event.getHeader("X") + "=done")
`

// TestEventHooks: an event-hook runs its module's event_hook(event) for
// each event of its kind (a CUSTOM subclass here) and for no other, as
// lua.conf's <hook>; with every slot busy an event is dropped and counted,
// and the hooks that run are not held up.
func TestEventHooks(t *testing.T) {
	h := servertest.NewServer(t, map[string]string{"hooks.star": eventHookScript}, servertest.WithConfig(func(c *server.Config) {
		c.EventHooks = []string{"CUSTOM/fsstar::ping hooks", "CUSTOM/fsstar::slow hooks::slow"}
		c.EventHookConcurrency = 1
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := esl.Dial(ctx, h.Switch.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fire := func(subclass, x string) {
		ev := &esl.Event{}
		ev.Headers.Add("Event-Name", "CUSTOM")
		ev.Headers.Add("Event-Subclass", subclass)
		ev.Headers.Add("X", x)
		if _, err := c.SendEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	global := func(name string) string {
		v, err := c.API(ctx, "global_getvar "+name)
		if err != nil {
			return "" // "-ERR no reply": unset
		}
		return v
	}
	waitFor(t, "the hooks' subscription", func() bool { return strings.Contains(h.Logs(), "event hook started") })
	fire("fsstar::other", "0")
	fire("fsstar::ping", "1")
	waitFor(t, "the hook", func() bool { return global("hooked_1") == "fsstar::ping" })
	if v := global("hooked_0"); v != "" {
		t.Errorf("a hook ran for another subclass: %q", v)
	}
	// One slot: the slow hook holds it, the next events find it busy.
	fire("fsstar::slow", "a")
	fire("fsstar::slow", "b")
	fire("fsstar::slow", "c")
	waitFor(t, "the slow hook", func() bool { return global("slow_a") == "done" })
	waitFor(t, "the dropped count", func() bool {
		_, m, _ := do(t, "GET", h.URL("/metrics"), "", nil)
		return strings.Contains(m, `fsstar_event_hooks_total{module="hooks::slow",outcome="dropped"}`)
	})
}
