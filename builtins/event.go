package builtins

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// eventName returns the canonical spelling of an event type as
// switch_name_event accepts it: any case, with or without "SWITCH_EVENT_".
func eventName(s string) (string, bool) {
	u := strings.ToUpper(strings.TrimPrefix(strings.ToUpper(s), "SWITCH_EVENT_"))
	if esl.IsEventName(u) {
		return u, true
	}
	return "", false
}

// Event is the Starlark value of a FreeSWITCH event (freeswitch.Event). It
// wraps an *esl.Event; the Session half and EventConsumer hand received events
// to scripts with NewEvent.
type Event struct {
	ev     *esl.Event
	frozen bool
	client *esl.Client // the server's inbound connection, for fire without a call connection
}

var (
	_ starlark.HasAttrs   = (*Event)(nil)
	_ starlark.Comparable = (*Event)(nil)
)

// NewEvent wraps ev (not copied) as a Starlark value.
func NewEvent(ev *esl.Event) *Event {
	if ev == nil {
		ev = &esl.Event{}
	}
	return &Event{ev: ev}
}

// ESL returns the wrapped event.
func (e *Event) ESL() *esl.Event { return e.ev }

func newEvent(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var typ, subclass string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "type", &typ, "subclass?", &subclass); err != nil {
		return nil, err
	}
	if strings.EqualFold(typ, "json") { // as the switch: Event("json", '{"Event-Name": ...}')
		ev, err := esl.ParseJSON([]byte(subclass))
		if err != nil {
			return nil, fmt.Errorf("%s: json: %v", fn.Name(), err)
		}
		// switch_event_create_json adds each member with
		// switch_event_add_header_string: an empty value adds nothing and
		// deletes the header of that name added before.
		var kept esl.Headers
		for _, h := range ev.Headers {
			if h.Value == "" {
				kept = slices.DeleteFunc(kept, func(k esl.Header) bool { return strings.EqualFold(k.Name, h.Name) })
				continue
			}
			kept = append(kept, h)
		}
		ev.Headers = kept
		if _, ok := ev.Headers.Lookup("Event-Name"); !ok {
			return nil, fmt.Errorf("%s: json: the object has no Event-Name member", fn.Name())
		}
		return NewEvent(ev), nil
	}
	name, ok := eventName(typ)
	if !ok {
		return nil, fmt.Errorf("%s: unknown event type %q (CUSTOM with a subclass for your own events)", fn.Name(), typ)
	}
	if subclass != "" {
		name = "CUSTOM" // as the switch: a subclass makes the event CUSTOM
	}
	return NewEvent(esl.NewEvent(name, subclass)), nil
}

func (e *Event) String() string {
	var b strings.Builder
	b.WriteString("<Event ")
	b.WriteString(e.getType())
	if sub := e.ev.Subclass(); sub != "" {
		b.WriteString(" ")
		b.WriteString(sub)
	}
	fmt.Fprintf(&b, ", %d headers", len(e.ev.Headers))
	if len(e.ev.Body) > 0 {
		fmt.Fprintf(&b, ", %d-byte body", len(e.ev.Body))
	}
	b.WriteString(">")
	return b.String()
}

// Type returns "Event".
func (e *Event) Type() string          { return "Event" }
func (e *Event) Freeze()               { e.frozen = true }
func (e *Event) Truth() starlark.Bool  { return starlark.True }
func (e *Event) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: Event") }

// CompareSameType reports two events equal when they have the same headers
// in the same order and the same body.
func (e *Event) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	o := y.(*Event)
	eq := slices.Equal(e.ev.Headers, o.ev.Headers) && bytes.Equal(e.ev.Body, o.ev.Body)
	switch op {
	case syntax.EQL:
		return eq, nil
	case syntax.NEQ:
		return !eq, nil
	}
	return false, fmt.Errorf("%s not supported for Event", op)
}

// eventMethods are the Starlark methods of an Event, with the reference's
// names ESL cannot express (eventRefused).
var eventMethods = withRefused(methods[*Event]{
	"addHeader":   (*Event).addHeader,
	"getHeader":   (*Event).getHeader,
	"delHeader":   (*Event).delHeader,
	"addBody":     (*Event).addBody,
	"getBody":     (*Event).getBody,
	"getType":     (*Event).getTypeMethod,
	"serialize":   (*Event).serialize,
	"merge":       (*Event).merge,
	"fire":        (*Event).fire,
	"setPriority": (*Event).setPriority,
}, eventRefused)

// setPriority is Event.setPriority(priority=0): switch_event_set_priority
// (0 normal, 1 low, 2 high), the "priority" header the switch reads.
func (e *Event) setPriority(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p := 0
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "priority?", &p); err != nil {
		return nil, err
	}
	if err := e.checkMutable(fn); err != nil {
		return nil, err
	}
	names := []string{"NORMAL", "LOW", "HIGH"}
	if p < 0 || p >= len(names) {
		return nil, fmt.Errorf("%s: priority %d (want 0 normal, 1 low, 2 high)", fn.Name(), p)
	}
	e.ev.Headers.Set("priority", names[p])
	return starlark.True, nil
}

// Attr returns the method called name (eventMethods).
func (e *Event) Attr(name string) (starlark.Value, error) { return eventMethods.attr(e, "Event", name) }

// AttrNames lists the methods of eventMethods.
func (e *Event) AttrNames() []string { return eventMethods.names() }

func (e *Event) checkMutable(fn *starlark.Builtin) error {
	if e.frozen {
		return fmt.Errorf("%s: cannot change a frozen Event", fn.Name())
	}
	return nil
}

func (e *Event) addHeader(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, value string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name, "value", &value); err != nil {
		return nil, err
	}
	if err := e.checkMutable(fn); err != nil {
		return nil, err
	}
	if err := checkHeaderName(name); err != nil {
		return nil, fmt.Errorf("%s: %v", fn.Name(), err)
	}
	if value == "" {
		// switch_event_base_add_header adds no empty value: it deletes
		// the header (every one of that name, as delHeader).
		e.ev.Headers = slices.DeleteFunc(e.ev.Headers, func(h esl.Header) bool { return strings.EqualFold(h.Name, name) })
		return starlark.True, nil
	}
	e.ev.Headers.Add(name, value)
	return starlark.True, nil
}

// checkHeaderName refuses names that would break the plain or xml format.
func checkHeaderName(name string) error {
	if name == "" {
		return fmt.Errorf("empty header name")
	}
	if strings.ContainsAny(name, ": \t\r\n<>/&\"'") {
		return fmt.Errorf("header name %q has a character a header name cannot have", name)
	}
	return nil
}

func (e *Event) getHeader(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	if v, ok := e.ev.Headers.Lookup(name); ok {
		return starlark.String(v), nil
	}
	return starlark.None, nil
}

func (e *Event) delHeader(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	if err := e.checkMutable(fn); err != nil {
		return nil, err
	}
	n := len(e.ev.Headers)
	// As switch_event_del_header: every header of that name, in any case.
	e.ev.Headers = slices.DeleteFunc(e.ev.Headers, func(h esl.Header) bool { return strings.EqualFold(h.Name, name) })
	return starlark.Bool(len(e.ev.Headers) < n), nil
}

func (e *Event) addBody(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var body string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "body", &body); err != nil {
		return nil, err
	}
	if err := e.checkMutable(fn); err != nil {
		return nil, err
	}
	e.ev.Body = []byte(body) // as switch_event_add_body: replaces the body
	return starlark.True, nil
}

func (e *Event) getBody(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	if len(e.ev.Body) == 0 {
		return starlark.None, nil
	}
	return starlark.String(e.ev.Body), nil
}

func (e *Event) getType() string {
	if n := e.ev.Name(); n != "" {
		return n
	}
	return "invalid"
}

func (e *Event) getTypeMethod(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return starlark.String(e.getType()), nil
}

func (e *Event) serialize(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	format := "plain"
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "format?", &format); err != nil {
		return nil, err
	}
	switch strings.ToLower(format) {
	case "plain", "":
		return starlark.String(e.ev.MarshalPlain()), nil
	case "json":
		b, err := e.ev.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", fn.Name(), err)
		}
		return starlark.String(b), nil
	case "xml":
		return starlark.String(e.ev.MarshalXMLText()), nil
	}
	return nil, fmt.Errorf("%s: unknown format %q (want \"plain\", \"json\" or \"xml\")", fn.Name(), format)
}

func (e *Event) merge(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var other *Event
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "other", &other); err != nil {
		return nil, err
	}
	if err := e.checkMutable(fn); err != nil {
		return nil, err
	}
	// As switch_event_merge: every header of other is added at the bottom; the body stays.
	e.ev.Headers = append(e.ev.Headers, other.ev.Headers...)
	return starlark.True, nil
}

func (e *Event) fire(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	c := CallOf(thread)
	client := e.client
	if c != nil && c.Client != nil {
		client = c.Client
	}
	if (c == nil || (c.FireEvent == nil && c.Conn == nil)) && client == nil {
		return nil, fmt.Errorf("%s: no switch connection to send the event over (this call has no ESL connection)", fn.Name())
	}
	// Send a copy: the script may change its event again while it is on its way.
	ev := &esl.Event{Headers: slices.Clone(e.ev.Headers), Body: bytes.Clone(e.ev.Body)}
	var err error
	if c != nil && c.FireEvent != nil {
		err = c.FireEvent(c.ctx(), ev)
	} else {
		err = sendEvent(c.ctx(), c, client, ev)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", fn.Name(), err)
	}
	return starlark.True, nil
}
