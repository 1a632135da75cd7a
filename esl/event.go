package esl

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Event is a FreeSWITCH event, whichever format it came in (plain, json or
// xml): its headers in the order the switch sent them, values decoded, and
// its own body (the output of a BACKGROUND_JOB, the body of a CUSTOM event).
// The Content-Length that announces the body is not kept among the headers;
// it is written again from len(Body) when the event is serialized.
type Event struct {
	Headers Headers
	Body    []byte
}

// NewEvent returns an event with Event-Name set to name and, when subclass is
// not empty, Event-Subclass set to it (the name is then usually "CUSTOM").
func NewEvent(name, subclass string) *Event {
	e := &Event{}
	e.Headers.Add("Event-Name", name)
	if subclass != "" {
		e.Headers.Add("Event-Subclass", subclass)
	}
	return e
}

// Name returns the Event-Name header.
func (e *Event) Name() string { return e.Headers.Get("Event-Name") }

// Subclass returns the Event-Subclass header (CUSTOM events).
func (e *Event) Subclass() string { return e.Headers.Get("Event-Subclass") }

// Get returns the value of the first header called name (see Headers.Get).
func (e *Event) Get(name string) string { return e.Headers.Get(name) }

// UniqueID returns the uuid of the channel the event is about: Unique-ID,
// else Channel-Unique-ID or Caller-Unique-ID (CHANNEL_DATA), else
// Job-Owner-UUID (a BACKGROUND_JOB that names its channel that way).
func (e *Event) UniqueID() string {
	for _, name := range [...]string{"Unique-ID", "Channel-Unique-ID", "Caller-Unique-ID", "Job-Owner-UUID"} {
		if v := e.Headers.Get(name); v != "" {
			return v
		}
	}
	return ""
}

// Variable returns the channel variable name from the event's variable_<name> header.
func (e *Event) Variable(name string) string { return e.Headers.Get("variable_" + name) }

// String returns the event in the switch's plain format, for logs and tests.
func (e *Event) String() string { return string(e.MarshalPlain()) }

// ParseEvent decodes the event a frame carries, by its Content-Type.
func ParseEvent(f *Frame) (*Event, error) {
	switch ct := f.ContentType(); ct {
	case TypeEventPlain:
		return ParsePlain(f.Body)
	case TypeEventJSON:
		return ParseJSON(f.Body)
	case TypeEventXML:
		return ParseXML(f.Body)
	default:
		return nil, fmt.Errorf("esl: frame of type %q is not an event", ct)
	}
}

// ParsePlain decodes a text/event-plain body: a header block with URL-encoded
// values, ended by a blank line, then the event's own body when the block
// ends with Content-Length.
func ParsePlain(b []byte) (*Event, error) {
	// One copy of the header block as a string; names and values are
	// slices of it (a value is copied again only when it has %XX escapes).
	block := b
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		block = b[:i+1]
	}
	text := string(block)
	rest := b[len(block):]
	e := &Event{Headers: make(Headers, 0, strings.Count(text, "\n")+1)}
	for len(text) > 0 {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("esl: plain event: header line without a name: %q", truncate(line, 80))
		}
		e.Headers = append(e.Headers, Header{Name: name, Value: URLDecode(strings.TrimLeft(value, " "))})
	}
	// rest starts at the blank line that ends the block, if any.
	rest = bytes.TrimPrefix(rest, []byte("\n"))
	if err := e.takeBody(rest); err != nil {
		return nil, fmt.Errorf("esl: plain event: %w", err)
	}
	return e, nil
}

// takeBody moves a trailing Content-Length header out of the headers and
// takes that many bytes of rest as the body.
func (e *Event) takeBody(rest []byte) error {
	n := len(e.Headers)
	if n == 0 || e.Headers[n-1].Name != "Content-Length" {
		return nil
	}
	cl, err := strconv.Atoi(e.Headers[n-1].Value)
	if err != nil || cl < 0 {
		return fmt.Errorf("bad body Content-Length %q", e.Headers[n-1].Value)
	}
	if cl > len(rest) {
		return fmt.Errorf("body Content-Length %d but only %d bytes follow", cl, len(rest))
	}
	e.Headers = e.Headers[:n-1]
	e.Body = append([]byte(nil), rest[:cl]...)
	return nil
}

// MarshalPlain returns the event as a text/event-plain body, byte for byte
// as the switch writes it.
func (e *Event) MarshalPlain() []byte {
	var b []byte
	for _, h := range e.Headers {
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, URLEncode(h.Value)...)
		b = append(b, '\n')
	}
	if len(e.Body) > 0 {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(e.Body)), 10)
		b = append(b, "\n\n"...)
		return append(b, e.Body...)
	}
	return append(b, '\n')
}

// ParseJSON decodes a text/event-json body: one object whose members are the
// headers in order (values are not URL-encoded), "_body" the event's body.
// A member whose value is an array becomes an ARRAY:: value.
func ParseJSON(b []byte) (*Event, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("esl: json event: want an object: %v", errOr(err, t))
	}
	e := &Event{}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("esl: json event: %w", err)
		}
		name, _ := t.(string)
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, fmt.Errorf("esl: json event: member %q: %w", name, err)
		}
		value, err := jsonValue(raw)
		if err != nil {
			return nil, fmt.Errorf("esl: json event: member %q: %w", name, err)
		}
		if name == "_body" {
			e.Body = []byte(value)
			continue
		}
		e.Headers = append(e.Headers, Header{Name: name, Value: value})
	}
	if _, err := d.Token(); err != nil {
		return nil, fmt.Errorf("esl: json event: %w", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("esl: json event: data after the object")
	}
	if e.Body != nil {
		e.dropBodyLength()
	}
	return e, nil
}

// dropBodyLength removes the Content-Length header that announces the body.
func (e *Event) dropBodyLength() {
	for i := len(e.Headers) - 1; i >= 0; i-- {
		if e.Headers[i].Name == "Content-Length" {
			e.Headers = append(e.Headers[:i], e.Headers[i+1:]...)
			return
		}
	}
}

func errOr(err error, t any) any {
	if err != nil {
		return err
	}
	return t
}

func jsonValue(raw json.RawMessage) (string, error) {
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return "", err
		}
		out := make([]string, len(items))
		for i, it := range items {
			s, err := jsonValue(it)
			if err != nil {
				return "", err
			}
			out[i] = s
		}
		return arrayPrefix + strings.Join(out, "|:"), nil
	case '{':
		return "", fmt.Errorf("nested object")
	default:
		return string(raw), nil // number, true, false, null as written
	}
}

// MarshalJSON returns the event as a text/event-json body, members in header
// order, ARRAY:: values as JSON arrays, the body as "Content-Length" and "_body".
func (e *Event) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, h := range e.Headers {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, h.Name)
		b = append(b, ':')
		if strings.HasPrefix(h.Value, arrayPrefix) {
			b = append(b, '[')
			for j, it := range SplitArray(h.Value) {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, it)
			}
			b = append(b, ']')
		} else {
			b = appendJSONString(b, h.Value)
		}
	}
	if len(e.Body) > 0 {
		if len(e.Headers) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"Content-Length":"`...)
		b = strconv.AppendInt(b, int64(len(e.Body)), 10)
		b = append(b, `","_body":`...)
		b = appendJSONString(b, string(e.Body))
	}
	return append(b, '}'), nil
}

// appendJSONString quotes s as the switch's JSON writer (cJSON) does: only
// the quote, the backslash and control characters are escaped; UTF-8 and
// "<>&" are written as they are.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&15]) // cJSON's "\\u%04x"
				continue
			}
			b = append(b, c)
		}
	}
	return append(b, '"')
}

const lowerHex = "0123456789abcdef"

// ParseXML decodes a text/event-xml body:
// <event><headers><Name>value</Name>...</headers><Content-Length>N</Content-Length><body>...</body></event>,
// header values URL-encoded. The body is cut to Content-Length bytes (the
// switch indents the closing tag).
func ParseXML(b []byte) (*Event, error) {
	var doc struct {
		XMLName xml.Name `xml:"event"`
		Headers struct {
			Items []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		} `xml:"headers"`
		ContentLength string  `xml:"Content-Length"`
		Body          *string `xml:"body"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("esl: xml event: %w", err)
	}
	e := &Event{Headers: make(Headers, 0, len(doc.Headers.Items))}
	for _, it := range doc.Headers.Items {
		e.Headers = append(e.Headers, Header{Name: it.XMLName.Local, Value: URLDecode(it.Value)})
	}
	if doc.Body != nil {
		body := *doc.Body
		if doc.ContentLength != "" {
			n, err := strconv.Atoi(strings.TrimSpace(doc.ContentLength))
			if err != nil || n < 0 || n > len(body) {
				return nil, fmt.Errorf("esl: xml event: bad Content-Length %q for a body of %d bytes", doc.ContentLength, len(body))
			}
			body = body[:n]
		}
		e.Body = []byte(body)
	}
	return e, nil
}

// MarshalXMLText returns the event as a text/event-xml body in the switch's layout.
func (e *Event) MarshalXMLText() []byte {
	var b bytes.Buffer
	b.WriteString("<event>\n  <headers>\n")
	for _, h := range e.Headers {
		fmt.Fprintf(&b, "    <%s>", h.Name)
		b.WriteString(xmlEscaper.Replace(URLEncode(h.Value)))
		fmt.Fprintf(&b, "</%s>\n", h.Name)
	}
	b.WriteString("  </headers>\n")
	if len(e.Body) > 0 {
		fmt.Fprintf(&b, "  <Content-Length>%d</Content-Length>\n  <body>", len(e.Body))
		b.WriteString(xmlEscaper.Replace(string(e.Body)))
		b.WriteString("  </body>\n")
	}
	b.WriteString("</event>\n")
	return b.Bytes()
}

// xmlEscaper escapes character data as the switch's XML writer does; unlike
// xml.EscapeText it leaves line breaks as they are.
var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
