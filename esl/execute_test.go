package esl

import (
	"strings"
	"sync"
	"testing"
)

// TestExecuteArgumentAndEventUUID checks what an execute puts on the wire:
// an argument that is short goes in the execute-app-arg header; a longer
// one, one with a line break or one starting with a blank goes in a
// text/plain body (which mod_event_socket reads in one read, and which
// keeps leading blanks that a header loses); each execute has an
// Event-UUID of its own, much shorter than a UUID, and its completion is
// routed by it.
func TestExecuteArgumentAndEventUUID(t *testing.T) {
	const id = "5d92818d-3386-4066-b54b-8f95316fdab8"
	var mu sync.Mutex
	var got []*Command
	sw := newFakeSwitch(t, func(fc *fakeConn, c *Command) {
		if !strings.HasPrefix(c.Line, "sendmsg ") {
			fc.send(replyFrame("+OK"))
			return
		}
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
		fc.send(replyFrame("+OK"))
		ev := NewEvent("CHANNEL_EXECUTE_COMPLETE", "")
		ev.Headers.Add("Unique-ID", id)
		ev.Headers.Add("Application", c.Headers.Get("execute-app-name"))
		ev.Headers.Add("Application-UUID", c.Headers.Get("Event-UUID"))
		fc.send(eventFrame(ev))
	})
	c, err := Dial(testCtx(t), sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cases := []struct {
		arg    string
		inBody bool
	}{
		{"", false},
		{"abc", false},
		{strings.Repeat("x", bodyArgOver), false},
		{strings.Repeat("x", bodyArgOver+1), true},
		{" leading blank", true},
		{"\tleading tab", true},
		{"two\nlines", true},
	}
	for i, tc := range cases {
		ev, err := c.Execute(testCtx(t), id, "app", tc.arg, ExecuteOptions{EventLock: true})
		if err != nil {
			t.Fatalf("case %d: Execute: %v", i, err)
		}
		mu.Lock()
		cmd := got[len(got)-1]
		mu.Unlock()
		if ev.Get("Application-UUID") != cmd.Headers.Get("Event-UUID") {
			t.Errorf("case %d: completion %q for Event-UUID %q", i, ev.Get("Application-UUID"), cmd.Headers.Get("Event-UUID"))
		}
		header, hasHeader := cmd.Headers.Lookup("execute-app-arg")
		switch {
		case tc.arg == "":
			if hasHeader || len(cmd.Body) > 0 {
				t.Errorf("case %d: empty argument sent as header %q, body %q", i, header, cmd.Body)
			}
		case tc.inBody:
			if hasHeader || string(cmd.Body) != tc.arg || cmd.Headers.Get("content-type") != "text/plain" {
				t.Errorf("case %d (%q): header %v, body %q, content-type %q; want it all in a text/plain body", i, tc.arg, hasHeader, cmd.Body, cmd.Headers.Get("content-type"))
			}
		default:
			if header != tc.arg || len(cmd.Body) > 0 {
				t.Errorf("case %d (%q): header %q, body %q; want it in the header", i, tc.arg, header, cmd.Body)
			}
		}
	}
	seen := map[string]bool{}
	for _, cmd := range got {
		u := cmd.Headers.Get("Event-UUID")
		if seen[u] {
			t.Errorf("Event-UUID %q sent twice", u)
		}
		seen[u] = true
		if u == "" || len(u) > 16 {
			t.Errorf("Event-UUID %q: want a short id of its own (at most 16 bytes)", u)
		}
	}
}
