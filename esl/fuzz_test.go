package esl

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// seedFromTranscripts adds every recorded switch-to-client frame to f's corpus,
// and every frame's body when body is set.
func seedFromTranscripts(f *testing.F, body bool) {
	for name, recs := range loadTranscripts(f) {
		if !isESL(name) {
			continue
		}
		for _, r := range recs {
			if r.Dir != "s2c" {
				continue
			}
			b := r.bytes(f)
			if body {
				if i := bytes.Index(b, []byte("\n\n")); i >= 0 && i+2 < len(b) {
					f.Add(b[i+2:])
				}
				continue
			}
			f.Add(b)
		}
	}
}

// FuzzReadFrame feeds arbitrary bytes to the frame reader: it must never
// panic, never return a frame and an error together, and never hand out a
// body longer than the limit.
func FuzzReadFrame(f *testing.F) {
	seedFromTranscripts(f, false)
	f.Add([]byte("Content-Length: -1\n\n"))
	f.Add([]byte("Content-Length: 99999999999999999999\n\n"))
	f.Add([]byte("no colon here\n\nContent-Type: api/response\n\n"))
	limits := Limits{MaxHeaders: 64, MaxHeaderBytes: 4096, MaxBodyBytes: 4096}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(bytes.NewReader(data), limits)
		for range 1000 {
			fr, err := rd.ReadFrame()
			if err != nil {
				if fr != nil {
					t.Fatalf("frame and error together: %v", err)
				}
				var fe *FrameError
				if errors.As(err, &fe) && fe.Recoverable {
					continue
				}
				return
			}
			if len(fr.Body) > limits.MaxBodyBytes || len(fr.Headers) > limits.MaxHeaders {
				t.Fatalf("frame over the limits: %d headers, %d body bytes", len(fr.Headers), len(fr.Body))
			}
			if fr.IsEvent() {
				_, _ = ParseEvent(fr) // may fail; must not panic
			}
		}
	})
}

// FuzzParseEvent checks that each event parser either fails cleanly or
// yields an event that survives a second trip through its own format.
func FuzzParseEvent(f *testing.F) {
	seedFromTranscripts(f, true)
	f.Fuzz(func(t *testing.T, data []byte) {
		if ev, err := ParsePlain(data); err == nil {
			again, err := ParsePlain(ev.MarshalPlain())
			if err != nil {
				t.Fatalf("plain event does not parse again: %v", err)
			}
			if !headersEqual(ev.Headers, again.Headers) || !bytes.Equal(ev.Body, again.Body) {
				t.Fatalf("plain round trip changed the event:\n%q\n%q", ev.Headers, again.Headers)
			}
		}
		if ev, err := ParseJSON(data); err == nil {
			b, _ := ev.MarshalJSON()
			if _, err := ParseJSON(b); err != nil {
				t.Fatalf("json event does not parse again: %v\n%s", err, b)
			}
		}
		if ev, err := ParseXML(data); err == nil {
			_, _ = ParseXML(ev.MarshalXMLText()) // names may not be valid XML names; must not panic
		}
	})
}

// FuzzReadCommand feeds arbitrary bytes to the switch-side command reader.
func FuzzReadCommand(f *testing.F) {
	for name, recs := range loadTranscripts(f) {
		if !isESL(name) {
			continue
		}
		for _, r := range recs {
			if r.Dir == "c2s" {
				f.Add(r.bytes(f))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(bytes.NewReader(data), Limits{MaxHeaders: 64, MaxHeaderBytes: 4096, MaxBodyBytes: 4096})
		for range 1000 {
			c, err := rd.ReadCommand()
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return
				}
				var fe *FrameError
				if errors.As(err, &fe) && fe.Recoverable {
					continue
				}
				return
			}
			if c.Line == "" {
				t.Fatalf("command with an empty first line: %+v", c)
			}
		}
	})
}

func headersEqual(a, b Headers) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
