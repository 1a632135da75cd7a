package builtins

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fsstar/fsstar/esl"
	"github.com/google/go-cmp/cmp"
)

func TestEvent(t *testing.T) {
	runCases(t, Options{}, []scriptCase{
		{name: "type", src: `result = freeswitch.Event("custom", "my::sub").getType()`, want: `"CUSTOM"`},
		{name: "switch_event prefix", src: `result = freeswitch.Event("SWITCH_EVENT_DTMF").getType()`, want: `"DTMF"`},
		{name: "subclass makes custom", src: `
e = freeswitch.Event("MESSAGE", "my::sub")
result = (e.getType(), e.getHeader("Event-Subclass"))`, want: `("CUSTOM", "my::sub")`},
		{name: "unknown type", src: `freeswitch.Event("NO_SUCH")`, wantErr: `freeswitch.Event: unknown event type "NO_SUCH"`},
		{name: "missing type", src: `freeswitch.Event()`, wantErr: `freeswitch.Event: missing argument for type`},
		{name: "headers", src: `
e = freeswitch.Event("CUSTOM", "my::sub")
e.addHeader("X-Name", "a b")
e.addHeader("X-Name", "second")
result = [e.getHeader("X-Name"), e.getHeader("x-name"), e.getHeader("absent"), e.delHeader("X-NAME"), e.getHeader("X-Name"), e.delHeader("X-Name")]`,
			want: `["a b", "a b", None, True, None, False]`},
		{name: "bad header name", src: `freeswitch.Event("CUSTOM").addHeader("a: b", "x")`, wantErr: `Event.addHeader: header name "a: b"`},
		{name: "header kwargs", src: `
e = freeswitch.Event(type="CUSTOM", subclass="s")
e.addHeader(name="A", value="1")
result = e.getHeader(name="A")`, want: `"1"`},
		{name: "body", src: `
e = freeswitch.Event("CUSTOM")
a = e.getBody()
e.addBody("one")
e.addBody("two")
result = (a, e.getBody())`, want: `(None, "two")`},
		{name: "serialize plain", src: `
e = freeswitch.Event("CUSTOM", "my::sub")
e.addHeader("X-Val", "100% sure")
result = e.serialize()`, want: `"Event-Name: CUSTOM\nEvent-Subclass: my%3A%3Asub\nX-Val: 100%25%20sure\n\n"`},
		{name: "add an empty header deletes it", src: `
e = freeswitch.Event("CUSTOM", "my::sub")
e.addHeader("X-E", "1")
e.addHeader("x-e", "2")
ok = e.addHeader("X-E", "")
result = (ok, e.getHeader("X-E"), e.serialize())`, want: `(True, None, "Event-Name: CUSTOM\nEvent-Subclass: my%3A%3Asub\n\n")`},
		{name: "json drops empty members", src: `
e = freeswitch.Event("json", '{"Event-Name": "CUSTOM", "A": "1", "A": "", "B": "", "C": "c"}')
result = e.serialize()`, want: `"Event-Name: CUSTOM\nC: c\n\n"`},
		{name: "serialize plain body", src: `
e = freeswitch.Event("CUSTOM")
e.addBody("hi\n")
result = e.serialize("plain")`, want: `"Event-Name: CUSTOM\nContent-Length: 3\n\nhi\n"`},
		{name: "serialize json", src: `
e = freeswitch.Event("CUSTOM", "my::sub")
e.addHeader("X", "<é>")
result = e.serialize("json")`, want: `"{\"Event-Name\":\"CUSTOM\",\"Event-Subclass\":\"my::sub\",\"X\":\"<é>\"}"`},
		{name: "serialize json decodes", src: `
e = freeswitch.Event("CUSTOM")
e.addHeader("X", "1")
e.addBody("b")
result = json.decode(e.serialize(format="json"))`, want: `{"Event-Name": "CUSTOM", "X": "1", "Content-Length": "1", "_body": "b"}`},
		{name: "serialize xml", src: `
e = freeswitch.Event("CUSTOM")
e.addHeader("X", "a<b")
result = e.serialize("xml")`, want: `"<event>\n  <headers>\n    <Event-Name>CUSTOM</Event-Name>\n    <X>a%3Cb</X>\n  </headers>\n</event>\n"`},
		{name: "serialize unknown", src: `freeswitch.Event("CUSTOM").serialize("yaml")`, wantErr: `Event.serialize: unknown format "yaml"`},
		{name: "from json", src: `
e = freeswitch.Event("json", json.encode({"Event-Name": "CUSTOM", "Event-Subclass": "a::b", "X": "1"}))
result = (e.getType(), e.getHeader("Event-Subclass"), e.getHeader("X"))`, want: `("CUSTOM", "a::b", "1")`},
		{name: "from bad json", src: `freeswitch.Event("json", "{")`, wantErr: `freeswitch.Event: json:`},
		{name: "merge", src: `
a = freeswitch.Event("CUSTOM", "a")
b = freeswitch.Event("CUSTOM", "b")
b.addHeader("X", "1")
a.merge(b)
result = a.serialize()`, want: `"Event-Name: CUSTOM\nEvent-Subclass: a\nEvent-Name: CUSTOM\nEvent-Subclass: b\nX: 1\n\n"`},
		{name: "merge wants event", src: `freeswitch.Event("CUSTOM").merge("x")`, wantErr: `Event.merge: for parameter other: got string, want Event`},
		{name: "str", src: `
e = freeswitch.Event("CUSTOM", "my::sub")
e.addBody("xyz")
result = str(e)`, want: `"<Event CUSTOM my::sub, 2 headers, 3-byte body>"`},
		{name: "type()", src: `result = type(freeswitch.Event("CUSTOM"))`, want: `"Event"`},
		{name: "equality", src: `
a = freeswitch.Event("CUSTOM", "s")
b = freeswitch.Event("CUSTOM", "s")
eq1 = a == b
b.addHeader("X", "1")
result = (eq1, a == b, a != b, a == a)`, want: `(True, False, True, True)`},
		{name: "unhashable", src: `{freeswitch.Event("CUSTOM"): 1}`, wantErr: `unhashable type: Event`},
		{name: "dir", src: `result = dir(freeswitch.Event("CUSTOM"))`,
			want: `["addBody", "addHeader", "chat_execute", "chat_send", "delHeader", "fire", "getBody", "getHeader", "getType", "merge", "serialize", "setPriority"]`},
		{name: "fire without switch", src: `freeswitch.Event("CUSTOM").fire()`, wantErr: `Event.fire: no switch connection`},
	})
}

func TestEventFrozen(t *testing.T) {
	v, err := run(t, Options{}, nil, `e = freeswitch.Event("CUSTOM")`+"\n"+`result = e`)
	if err != nil {
		t.Fatal(err)
	}
	v.Freeze()
	e := v.(*Event)
	m, _ := e.Attr("addHeader")
	if _, err := callValue(m, "X", "1"); err == nil || !strings.Contains(err.Error(), "Event.addHeader: cannot change a frozen Event") {
		t.Fatalf("addHeader on a frozen event: got %v", err)
	}
}

func TestEventFire(t *testing.T) {
	var got []*esl.Event
	call := newCall(t)
	call.FireEvent = func(ctx context.Context, ev *esl.Event) error {
		got = append(got, ev)
		if ev.Get("X-Fail") != "" {
			return errors.New("switch said -ERR")
		}
		return nil
	}
	v, err := run(t, Options{}, call, `
e = freeswitch.Event("CUSTOM", "my::sub")
e.addHeader("X", "1")
e.addBody("body")
result = e.fire()
e.addHeader("X-After", "not sent")
`)
	if err != nil {
		t.Fatal(err)
	}
	if v.String() != "True" {
		t.Fatalf("fire() = %s, want True", v)
	}
	want := []*esl.Event{{Headers: esl.Headers{{Name: "Event-Name", Value: "CUSTOM"}, {Name: "Event-Subclass", Value: "my::sub"}, {Name: "X", Value: "1"}}, Body: []byte("body")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("fired events (-want +got):\n%s", diff)
	}
	_, err = run(t, Options{}, call, `
e = freeswitch.Event("CUSTOM")
e.addHeader("X-Fail", "1")
e.fire()`)
	if err == nil || !strings.Contains(err.Error(), "Event.fire: switch said -ERR") {
		t.Fatalf("failed fire: got %v", err)
	}
}

func TestNewEventWrapsESL(t *testing.T) {
	ev := esl.NewEvent("DTMF", "")
	ev.Headers.Add("DTMF-Digit", "5")
	v, err := runWith(t, map[string]any{"ev": NewEvent(ev)}, `result = (ev.getType(), ev.getHeader("DTMF-Digit"))`)
	if err != nil {
		t.Fatal(err)
	}
	if v.String() != `("DTMF", "5")` {
		t.Fatalf("got %s", v)
	}
	if NewEvent(ev).ESL() != ev {
		t.Fatal("ESL() does not return the wrapped event")
	}
}
