package tests

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// A script's EventConsumer that stops reading while events flood in drops
// what finds its bounded queue full, as the switch's consumer does (fsstar
// logs it): it still pops what was queued, then None, and goes on; the
// shared connection's reader never waits for it, so another subscriber
// receives every event in order and API() keeps working.
func TestReliabilityConsumerOverflow(t *testing.T) {
	noLeaks(t)
	h := startRel(t, map[string]string{"rel/flood.star": `
def runtime(args):
    con = freeswitch.EventConsumer("CUSTOM", "rel::flood", 10)
    freeswitch.consoleLog("info", "CONSUMER-READY\n")
    freeswitch.msleep(1000)
    for i in range(1000):
        ev = con.pop(0)
        if ev == None:
            break
        freeswitch.consoleLog("info", "POPPED %s\n" % ev.getHeader("Rel-Seq"))
    freeswitch.consoleLog("info", "QUEUE-DRAINED\n")
`, "rel/api.star": `
def fsapi(session, stream, env, args):
    stream.write(freeswitch.API().executeString("status"))
`}, nil)
	h.WaitConnected(t)
	c := h.Server.Client()
	other := c.Listen(esl.Match{Names: []string{"rel::flood"}, Buffer: 1000})
	defer other.Close()
	if _, err := h.Server.StartJob("rel.flood", ""); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the consumer", func() bool { return count(h, "CONSUMER-READY") > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const n = 200
	for i := range n {
		ev := esl.NewEvent("CUSTOM", "rel::flood")
		ev.Headers.Add("Rel-Seq", strconv.Itoa(i))
		if _, err := c.SendEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		ev, err := other.Next(ctx)
		if err != nil {
			t.Fatalf("the other subscriber stopped at event %d: %v", i, err)
		}
		if got := ev.Headers.Get("Rel-Seq"); got != strconv.Itoa(i) {
			t.Fatalf("the other subscriber got event %s in place %d", got, i)
		}
	}
	waitUntil(t, 10*time.Second, "the job to end", func() bool { return count(h, "QUEUE-DRAINED") > 0 })
	if !strings.Contains(h.Logs(), "EventConsumer queue was full: events were dropped") {
		t.Error("the dropped events were not logged")
	}
	if got := count(h, "POPPED "); got != 10 {
		t.Errorf("the consumer popped %d queued events, want its 10", got)
	}
	if code, body := relGet(t, h, "/api/rel.api"); code != 200 {
		t.Errorf("API() after the overflow: %d %q", code, body)
	}
}
