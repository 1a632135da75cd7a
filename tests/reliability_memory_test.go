package tests

import (
	"strings"
	"sync"
	"testing"

	"github.com/fsstar/fsstar/server"
)

// TestReliabilityMemoryBudget: through a switch, a call whose script
// builds a huge string and one whose list keeps growing are stopped by the
// memory budget and go to on-error, an fsapi doing the same answers 500,
// a call running beside them finishes, the log names each stopped call
// (uuid, module, what it was doing), the metrics count them, and a live
// reconfiguration of the budget lets the same script through.
func TestReliabilityMemoryBudget(t *testing.T) {
	noLeaks(t)
	h := startRel(t, map[string]string{
		"mem/big.star": `
def handler(session, args):
    session.answer()
    s = "x" * 1000000000

def fsapi(session, stream, env, args):
    stream.write("y" * 1000000000)
`,
		"mem/grow.star": `
def handler(session, args):
    session.answer()
    rows = []
    while True:
        rows.append({"caller": session.getVariable("uuid"), "n": len(rows)})
`,
		"mem/six.star": `
def handler(session, args):
    table = ["row %d" % i for i in range(120000)]
    session.setVariable("rows", str(len(table)))
`,
		"mem/calm.star": `
def handler(session, args):
    session.answer()
    words = []
    for i in range(2000):
        words.append("w%d" % i)
    session.sleep(200)
    session.setVariable("calm", str(len(words)))
`,
	}, func(c *server.Config) {
		c.MaxSteps = 0 // only the memory budget stops these scripts
		c.MaxCallMemoryBytes = 4 << 20
	})

	var wg sync.WaitGroup
	var calmVar, calmCause string
	wg.Go(func() {
		ch, cause := h.Call(t, map[string]string{"fsstar_app": "mem.calm"})
		calmVar, calmCause = ch.Var("calm"), cause
	})
	for _, mod := range []string{"mem.big", "mem.grow", "mem.six"} {
		ch, cause := h.Call(t, map[string]string{"fsstar_app": mod})
		if cause != "NORMAL_TEMPORARY_FAILURE" {
			t.Errorf("%s: call ended %q, want the on-error cause", mod, cause)
		}
		logs := h.Logs()
		line := ""
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, "call stopped by the memory budget") && strings.Contains(l, ch.UUID()) {
				line = l
			}
		}
		if !strings.Contains(line, "module="+mod) || !strings.Contains(line, "outcome=memory_budget") {
			t.Errorf("%s: no memory budget line naming the call's uuid and module:\n%s", mod, logs)
		}
	}
	wg.Wait()
	if calmVar != "2000" || calmCause != "NORMAL_CLEARING" {
		t.Errorf("the call beside them: calm=%q cause=%q", calmVar, calmCause)
	}
	logs := h.Logs()
	for _, want := range []string{
		"string * 1000000000 needs 953.7 MiB while the call holds",
		"the call holds more than its budget of 4.0 MiB",
		"big.star:4:", "grow.star:6:", // where each was
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if code, _ := relGet(t, h, "/api/mem.big"); code != 500 {
		t.Errorf("fsapi over budget answered %d, want 500", code)
	}
	if l := metricLine(t, h, `fsstar_entry_memory_limited_total{entry="handler"}`); l != `fsstar_entry_memory_limited_total{entry="handler"} 3` {
		t.Errorf("metric: %q", l)
	}
	if l := metricLine(t, h, `fsstar_entry_memory_limited_total{entry="fsapi"}`); l != `fsstar_entry_memory_limited_total{entry="fsapi"} 1` {
		t.Errorf("metric: %q", l)
	}

	// The budget is live: raised, the same six-MiB script goes through.
	cfg := h.Server.Config()
	cfg.MaxCallMemoryBytes = 32 << 20
	if err := h.Server.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	ch, cause := h.Call(t, map[string]string{"fsstar_app": "mem.six"})
	if ch.Var("rows") != "120000" || cause != "NORMAL_CLEARING" {
		t.Errorf("after raising the budget: rows=%q cause=%q", ch.Var("rows"), cause)
	}
}
