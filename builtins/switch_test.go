package builtins

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
)

func TestAPIAndGlobals(t *testing.T) {
	r := newRig(t)
	v, err := run(t, r.opts, newCall(t), `
api = freeswitch.API()
status = api.execute("status")
host = api.executeString("hostname")
bad = api.execute("no_such_command", "x")
freeswitch.setGlobalVariable("fsstar_g", "v 1")
result = [status.startswith("UP "), host, bad.startswith("-ERR"), freeswitch.getGlobalVariable("fsstar_g"),
          freeswitch.getGlobalVariable("fsstar_unset"), freeswitch.running(), int(api.getTime()) > 1700000000000, type(api.getTime())]
`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.String(), `[True, "vm", True, "v 1", None, True, True, "string"]`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestNoInboundClient(t *testing.T) {
	runCases(t, Options{}, []scriptCase{
		{name: "API", src: `freeswitch.API().execute("status")`, wantErr: "API.execute: status: no switch connection"},
		{name: "Session", src: `freeswitch.Session("user/1000")`, wantErr: "freeswitch.Session: no inbound ESL connection is configured"},
		{name: "EventConsumer", src: `freeswitch.EventConsumer("CUSTOM", "x::y")`, wantErr: "freeswitch.EventConsumer: no inbound ESL connection is configured"},
		{name: "global", src: `freeswitch.getGlobalVariable("x")`, wantErr: "freeswitch.getGlobalVariable: no switch connection"},
		{name: "running", src: `result = freeswitch.running()`, want: "True"},
	})
}

func TestRunningAfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v, err := run(t, Options{}, &Call{Context: ctx}, `result = freeswitch.running()`)
	if err != nil || v.String() != "False" {
		t.Fatalf("running() = %v, %v", v, err)
	}
}

func TestConsoleLogForwarded(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	watcher, err := esl.Dial(ctx, r.sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	logs := watcher.Listen(esl.Match{Logs: true})
	if err := watcher.Log(ctx, "debug"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, r.opts, newCall(t), `freeswitch.consoleLog("warning", "hello from starlark\n")`); err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := logs.Next(ctx)
		if err != nil {
			t.Fatalf("no log line: %v", err)
		}
		if strings.Contains(string(ev.Body), "hello from starlark") {
			if lvl := ev.Get("Log-Level"); lvl != "4" {
				t.Fatalf("Log-Level %q, want 4 (warning)", lvl)
			}
			return
		}
	}
}

func TestEventConsumer(t *testing.T) {
	r := newRig(t)
	v, err := run(t, r.opts, newCall(t), `
con = freeswitch.EventConsumer("CUSTOM", "fsstar::test")
empty = [con.pop(), con.pop(1, 50)]
e = freeswitch.Event("CUSTOM", "fsstar::test")
e.addHeader("x-n", "1")
e.addBody("hi")
e.fire()
got = con.pop(1, 2000)
con.bind("CUSTOM", "fsstar::other")
e2 = freeswitch.Event("CUSTOM", "fsstar::other")
e2.fire()
got2 = con.pop(1, 2000)
con.cleanup()
result = [empty, got.getHeader("Event-Subclass"), got.getHeader("x-n"), got.getBody(), got2.getHeader("Event-Subclass")]
`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.String(), `[[None, None], "fsstar::test", "1", "hi", "fsstar::other"]`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	runCasesWith(t, func(*testing.T) Options { return r.opts }, []scriptCase{
		{name: "after cleanup", src: "c = freeswitch.EventConsumer('CUSTOM', 'a::b')\nc.cleanup()\nc.pop()", wantErr: "EventConsumer.pop: the consumer was cleaned up"},
		{name: "unbound", src: "freeswitch.EventConsumer().pop()", wantErr: "bind first"},
		{name: "bad name", src: "freeswitch.EventConsumer('NO_SUCH')", wantErr: `unknown event name "NO_SUCH"`},
	})
}
