package esl

import (
	"bytes"
	"strings"
	"testing"
)

// TestTranscriptCommands reads every recorded client-to-switch write with
// the switch-side reader and checks that each command block decodes to the
// command line the client wrote, and that AppendCommand writes it back.
func TestTranscriptCommands(t *testing.T) {
	var n int
	for name, recs := range loadTranscripts(t) {
		if !isESL(name) {
			continue
		}
		for _, r := range recs {
			if r.Dir != "c2s" {
				continue
			}
			raw := r.bytes(t)
			rd := NewReader(bytes.NewReader(raw), Limits{})
			for {
				c, err := rd.ReadCommand()
				if err != nil {
					break
				}
				n++
				if c.Line == "" || strings.ContainsAny(c.Line, "\r\n") {
					t.Errorf("%s seq %d: bad command line %q", name, r.Seq, c.Line)
				}
				if !bytes.Contains(raw, []byte(c.Line)) {
					t.Errorf("%s seq %d: command line %q not in the recorded bytes", name, r.Seq, c.Line)
				}
				h := append(Headers(nil), c.Headers...)
				h.Del("Content-Length")
				out, err := AppendCommand(nil, c.Line, h, c.Body)
				if err != nil {
					t.Errorf("%s seq %d: %v", name, r.Seq, err)
					continue
				}
				again, err := NewReader(bytes.NewReader(out), Limits{}).ReadCommand()
				if err != nil || again.Line != c.Line || !bytes.Equal(again.Body, c.Body) {
					t.Errorf("%s seq %d: command %q does not survive AppendCommand: %v", name, r.Seq, c.Line, err)
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d commands read from the transcripts", n)
	}
	t.Logf("%d recorded commands read", n)
}

func TestAppendCommandRefusesLineBreaks(t *testing.T) {
	cases := []struct {
		line string
		h    Headers
	}{
		{"api status\n\napi shutdown", nil},
		{"sendmsg x", Headers{{"execute-app-arg", "a\nb"}}},
		{"sendmsg x", Headers{{"bad\rname", "v"}}},
	}
	for _, c := range cases {
		if _, err := AppendCommand(nil, c.line, c.h, nil); err == nil || !strings.Contains(err.Error(), "line break") {
			t.Errorf("AppendCommand(%q, %v) = %v, want a line-break error", c.line, c.h, err)
		}
	}
}

func TestURLCodec(t *testing.T) {
	cases := []struct{ plain, enc string }{
		{"Fri, 27 Nov 2026 13:50:15 GMT", "Fri,%2027%20Nov%202026%2013%3A50%3A15%20GMT"},
		{"fd00::2", "fd00%3A%3A2"},
		{"café", "caf%C3%A9"},
		{"+OK\n", "%2BOK%0A"},
		{"a/b.c-d_e~f(g)", "a/b.c-d_e~f(g)"},
		{"100%", "100%25"},
	}
	for _, c := range cases {
		if got := URLEncode(c.plain); got != c.enc {
			t.Errorf("URLEncode(%q) = %q, want %q", c.plain, got, c.enc)
		}
		if got := URLDecode(c.enc); got != c.plain {
			t.Errorf("URLDecode(%q) = %q, want %q", c.enc, got, c.plain)
		}
	}
	// Values that were never encoded survive decoding.
	for _, s := range []string{"+OK accepted", "100%", "50%zz", "%"} {
		if got := URLDecode(s); got != s {
			t.Errorf("URLDecode(%q) = %q, want it unchanged", s, got)
		}
	}
}
