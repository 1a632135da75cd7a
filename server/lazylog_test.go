package server

import (
	"strings"
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

// consoleLog in a call still logs with the call's uuid and module.
func TestConsoleLogCarriesCallFields(t *testing.T) {
	h := start(t, map[string]string{"ivr/log.star": `
def handler(session, args):
    freeswitch.consoleLog("info", "hello from the script")
`}, nil)
	ch, _ := h.call(map[string]string{"fsstar_app": "ivr.log"})
	for _, line := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(line, "hello from the script") {
			if !strings.Contains(line, "uuid="+ch.UUID()) || !strings.Contains(line, "module=ivr.log") {
				t.Errorf("consoleLog line without the call's fields: %s", line)
			}
			return
		}
	}
	t.Errorf("consoleLog line not logged:\n%s", h.logs)
}
