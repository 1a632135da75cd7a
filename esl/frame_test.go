package esl

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadFrameLimits(t *testing.T) {
	limits := Limits{MaxHeaders: 4, MaxHeaderBytes: 256, MaxBodyBytes: 8}
	big := "Content-Type: api/response\nContent-Length: 12\n\nhello world!"
	next := "Content-Type: command/reply\nReply-Text: +OK\n\n"
	rd := NewReader(strings.NewReader(big+next), limits)
	_, err := rd.ReadFrame()
	var fe *FrameError
	if !errors.As(err, &fe) || !fe.Recoverable || !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized body: err = %v, want a recoverable ErrFrameTooLarge", err)
	}
	f, err := rd.ReadFrame()
	if err != nil || f.ReplyText() != "+OK" {
		t.Fatalf("frame after the skipped body: %v %v, want the +OK reply", f, err)
	}

	many := "A: 1\nB: 2\nC: 3\nD: 4\nE: 5\n\n"
	if _, err := NewReader(strings.NewReader(many), limits).ReadFrame(); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("5 headers with a limit of 4: err = %v, want ErrFrameTooLarge", err)
	}
	long := "X-Long: " + strings.Repeat("x", 100_000) + "\n\n"
	if _, err := NewReader(strings.NewReader(long), limits).ReadFrame(); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("100 kB header line: err = %v, want ErrFrameTooLarge", err)
	}
}

func TestReadFrameMalformed(t *testing.T) {
	// A line without a name spoils its frame only.
	rd := NewReader(strings.NewReader(": nameless\nContent-Type: x\n\nContent-Type: command/reply\nReply-Text: +OK\n\n"), Limits{})
	var fe *FrameError
	if _, err := rd.ReadFrame(); !errors.As(err, &fe) || !fe.Recoverable {
		t.Fatalf("nameless header: err = %v, want a recoverable FrameError", err)
	}
	if f, err := rd.ReadFrame(); err != nil || f.ReplyText() != "+OK" {
		t.Fatalf("next frame: %v, %v", f, err)
	}
	if _, err := rd.ReadFrame(); err != io.EOF {
		t.Fatalf("at the end: err = %v, want io.EOF", err)
	}

	for _, in := range []string{
		"Content-Type: api/response\nContent-Length: 10\n\nshort",
		"Content-Type: api/response\n",
	} {
		if _, err := NewReader(strings.NewReader(in), Limits{}).ReadFrame(); err != io.ErrUnexpectedEOF {
			t.Errorf("truncated %q: err = %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
	if _, err := NewReader(strings.NewReader("Content-Length: abc\n\n"), Limits{}).ReadFrame(); !errors.As(err, &fe) || fe.Recoverable {
		t.Errorf("bad Content-Length: err = %v, want an unrecoverable FrameError", err)
	}
}

func TestReadFrameDecodesAndKeepsOrder(t *testing.T) {
	in := "Event-Name: CHANNEL_DATA\nFreeSWITCH-IPv6: fd00%3A%3A2\nContent-Type: command/reply\nReply-Text: %2BOK%0A\nvariable_x: a\nvariable_x: b\n\n"
	f, err := NewReader(strings.NewReader(in), Limits{}).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if got := f.ReplyText(); got != "+OK\n" {
		t.Errorf("Reply-Text = %q, want %q", got, "+OK\n")
	}
	if got := f.Headers.Values("variable_x"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("repeated header = %q, want [a b]", got)
	}
	if f.Headers[0].Name != "Event-Name" || f.ContentType() != TypeCommandReply {
		t.Errorf("headers out of order or lost: %v", f.Headers)
	}
}

func TestEventBodyAndArrays(t *testing.T) {
	ev := NewEvent("CUSTOM", "fsstar::demo")
	ev.Headers.Add("fsstar-utf8", "café & <b>")
	ev.Headers.Add("multi", JoinArray([]string{"a", "b c", "d"}))
	ev.Body = []byte("line one\nline two\n")
	plain, err := ParsePlain(ev.MarshalPlain())
	if err != nil {
		t.Fatal(err)
	}
	js, _ := ev.MarshalJSON()
	fromJSON, err := ParseJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	fromXML, err := ParseXML(ev.MarshalXMLText())
	if err != nil {
		t.Fatal(err)
	}
	for format, got := range map[string]*Event{"plain": plain, "json": fromJSON, "xml": fromXML} {
		if !headersEqual(got.Headers, ev.Headers) || !bytes.Equal(got.Body, ev.Body) {
			t.Errorf("%s round trip: got %v %q, want %v %q", format, got.Headers, got.Body, ev.Headers, ev.Body)
		}
		if items := SplitArray(got.Get("multi")); len(items) != 3 || items[1] != "b c" {
			t.Errorf("%s: array items = %q", format, items)
		}
	}
	if !bytes.Contains(js, []byte(`"multi":["a","b c","d"]`)) {
		t.Errorf("json array not written as a JSON array: %s", js)
	}
}
