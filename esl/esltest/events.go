package esltest

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// newEvent starts an event with the headers every FreeSWITCH event carries.
// Event-Sequence is filled in by publish so that it grows in delivery order.
func (sw *Switch) newEvent(name, file, fn string, line int) *esl.Event {
	now := time.Now()
	e := esl.NewEvent(name, "")
	h := &e.Headers
	h.Add("Core-UUID", sw.opts.coreUUID)
	h.Add("FreeSWITCH-Hostname", sw.opts.hostname)
	h.Add("FreeSWITCH-Switchname", sw.opts.hostname)
	h.Add("FreeSWITCH-IPv4", "127.0.0.1")
	h.Add("FreeSWITCH-IPv6", "::1")
	h.Add("Event-Date-Local", now.Format("2006-01-02 15:04:05"))
	h.Add("Event-Date-GMT", now.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))
	h.Add("Event-Date-Timestamp", strconv.FormatInt(now.UnixMicro(), 10))
	h.Add("Event-Calling-File", file)
	h.Add("Event-Calling-Function", fn)
	h.Add("Event-Calling-Line-Number", strconv.Itoa(line))
	h.Add("Event-Sequence", "0")
	return e
}

// publish delivers ev to every connection that wants it, in one global
// order. It never blocks on a slow connection: one whose queue is full is
// disconnected, as FreeSWITCH does.
func (sw *Switch) publish(ev *esl.Event) {
	sw.pubMu.Lock()
	defer sw.pubMu.Unlock()
	ev.Headers.Set("Event-Sequence", strconv.FormatUint(sw.seq.Add(1), 10))
	sw.deliver(ev, ev.Name())
}

// publishRaw sends an event as it is, without an Event-Sequence, to the
// connections subscribed to name: how the switch fires an event queued to a
// session, which never went through switch_event_prep_for_delivery and so
// has no Event-Name, Core-UUID, Event-Date-* or Event-Sequence header.
func (sw *Switch) publishRaw(ev *esl.Event, name string) {
	sw.pubMu.Lock()
	defer sw.pubMu.Unlock()
	sw.deliver(ev, name)
}

// deliver offers ev, known as name, to every connection; pubMu is held.
func (sw *Switch) deliver(ev *esl.Event, name string) {
	sw.mu.Lock()
	conns := make([]*conn, 0, len(sw.conns))
	for c := range sw.conns {
		conns = append(conns, c)
	}
	sw.mu.Unlock()
	for _, c := range conns {
		c.offer(ev, name)
	}
}

// subscription is what one connection asked to receive.
type subscription struct {
	format    string // "plain", "json" or "xml"; "" when not listening
	all       bool
	names     map[string]bool
	allCustom bool
	custom    map[string]bool
	filters   []filter
	myUUID    string // myevents: every event of this channel, and only those
	logLevel  int    // -1: no log/data frames
}

type filter struct {
	header, value string
	re            *regexp.Regexp
}

func newSubscription() subscription {
	return subscription{names: map[string]bool{}, custom: map[string]bool{}, logLevel: -1}
}

// wants reports whether an event is to be sent on this connection.
func (s *subscription) wants(ev *esl.Event, name string) bool {
	if s.myUUID != "" {
		if ev.UniqueID() != s.myUUID {
			return false
		}
		return s.passesFilters(ev)
	}
	if s.format == "" {
		return false
	}
	ok := s.all || s.names[name]
	if name == "CUSTOM" {
		ok = s.all || s.allCustom || s.custom[ev.Subclass()]
	}
	return ok && s.passesFilters(ev)
}

// passesFilters is mod_event_socket's filter check (event_handler): with
// filters set, an event is sent only if one of them lets it through. Each
// filter whose header the event has is looked at in the order they were
// added: a value with a "-" prefix that matches drops the event at once;
// one without (or with "+") that matches lets it through, and once the
// event is through only exclusions are still looked at. A value starting
// with "/" is a regular expression (the prefixes cannot be combined with
// one: "-/x/" compares the text "/x/"); others compare case-insensitively.
// Filters on headers the event lacks are skipped.
func (s *subscription) passesFilters(ev *esl.Event) bool {
	if len(s.filters) == 0 {
		return true
	}
	send := false
	for _, f := range s.filters {
		v, ok := ev.Headers.Lookup(f.header)
		if !ok {
			continue
		}
		pos := true
		comp := f.value
		for comp != "" {
			if comp[0] == '+' {
				pos = true
			} else if comp[0] == '-' {
				pos = false
			} else if comp[0] != ' ' {
				break
			}
			comp = comp[1:]
		}
		if send && pos {
			continue
		}
		if comp == "" {
			continue
		}
		var match bool
		if f.re != nil {
			match = f.re.MatchString(v)
		} else {
			match = strings.EqualFold(v, comp)
		}
		if match {
			if !pos {
				return false
			}
			send = true
		}
	}
	return send
}

// eventFrame renders ev as a frame in the given format.
func eventFrame(ev *esl.Event, format string) []byte {
	var body []byte
	ct := esl.TypeEventPlain
	switch format {
	case "json":
		ct = esl.TypeEventJSON
		body, _ = ev.MarshalJSON()
	case "xml":
		ct = esl.TypeEventXML
		body = ev.MarshalXMLText()
	default:
		body = ev.MarshalPlain()
	}
	h := esl.Headers{{Name: "Content-Length", Value: strconv.Itoa(len(body))}, {Name: "Content-Type", Value: ct}}
	return esl.AppendFrame(nil, h, body)
}
