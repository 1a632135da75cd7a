package builtins

import (
	"strings"
	"testing"

	"github.com/fsstar/fsstar/esl"
)

func TestStream(t *testing.T) {
	runCases(t, Options{MaxStreamBytes: 10}, []scriptCase{
		{name: "write and get", src: `
s = freeswitch.Stream()
s.write("abc")
s.raw_write(b"de")
s.write(data="f")
result = (s.get_data(), str(s), type(s))`, want: `("abcdef", "<Stream 6 bytes>", "Stream")`},
		{name: "limit exact", src: `
s = freeswitch.Stream()
s.write("0123456789")
result = len(s.get_data())`, want: `10`},
		{name: "over limit", src: `
s = freeswitch.Stream()
s.write("0123456")
s.write("789a")`, wantErr: `Stream.write: the stream would hold 11 bytes, more than its limit of 10`},
		{name: "over limit raw", src: `freeswitch.Stream().raw_write("x" * 11)`, wantErr: `Stream.raw_write: the stream would hold 11 bytes`},
		{name: "not a string", src: `freeswitch.Stream().write(1)`, wantErr: `Stream.write: got int, want string or bytes`},
		{name: "no args to Stream", src: `freeswitch.Stream(1)`, wantErr: `freeswitch.Stream: got 1 arguments, want at most 0`},
		{name: "dir", src: `result = dir(freeswitch.Stream())`, want: `["get_data", "raw_write", "read", "write"]`},
		{name: "raw_write with a length, read", src: `
s = freeswitch.Stream()
s.raw_write("abcdef", 3)
result = s.read()`, want: `("abc", 3)`},
	})
}

// The engine hands fsapi a Stream made in Go and reads what the script wrote.
func TestStreamFromGo(t *testing.T) {
	s := NewStream(0)
	if _, err := runWith(t, map[string]any{"stream": s}, `stream.write("+OK " + str(1+1))`); err != nil {
		t.Fatal(err)
	}
	if s.Data() != "+OK 2" || s.Len() != 5 {
		t.Fatalf("Data() = %q", s.Data())
	}
	s.Freeze()
	_, err := runWith(t, map[string]any{"stream": s}, `stream.write("x")`)
	if err == nil || !strings.Contains(err.Error(), "Stream.write: cannot write to a frozen Stream") {
		t.Fatalf("write to frozen stream: %v", err)
	}
}

func TestStreamDefaultLimit(t *testing.T) {
	_, err := run(t, Options{}, nil, `
def fill():
    s = freeswitch.Stream()
    chunk = "x" * 1024
    for i in range(1024):
        s.write(chunk)
    s.write("!")
fill()`)
	if err == nil || !strings.Contains(err.Error(), "more than its limit of 1048576") {
		t.Fatalf("got %v", err)
	}
}

func TestDTMF(t *testing.T) {
	runCases(t, Options{}, []scriptCase{
		{name: "attrs", src: `
d = freeswitch.DTMF("5", 2000)
result = (d.digit, d.duration, str(d), type(d))`, want: `("5", 2000, "DTMF(\"5\", duration=2000)", "DTMF")`},
		{name: "default duration", src: `result = freeswitch.DTMF("#").duration`, want: `2000`}, // as mod_lua: SWITCH_DEFAULT_DTMF_DURATION,
		{name: "lower case letter", src: `result = freeswitch.DTMF("a").digit`, want: `"A"`},
		{name: "equality and hash", src: `
a = freeswitch.DTMF("1", 10)
result = (a == freeswitch.DTMF("1", 10), a == freeswitch.DTMF("2", 10), {a: 1}[freeswitch.DTMF("1", 10)])`, want: `(True, False, 1)`},
		{name: "bad digit", src: `freeswitch.DTMF("x")`, wantErr: `freeswitch.DTMF: invalid DTMF digit "x" (want one of 0-9 * # A-D)`},
		{name: "two digits", src: `freeswitch.DTMF("12")`, wantErr: `freeswitch.DTMF: invalid DTMF digit "12"`},
		{name: "negative", src: `freeswitch.DTMF("1", -1)`, wantErr: `freeswitch.DTMF: negative DTMF duration -1`},
		{name: "no attr", src: `freeswitch.DTMF("1").foo`, wantErr: `DTMF has no .foo field or method`},
	})
	d, err := NewDTMF("*", 800)
	if err != nil || d.Digit != "*" || d.Duration != 800 {
		t.Fatalf("NewDTMF: %v %v", d, err)
	}
}

func TestDTMFFromEvent(t *testing.T) {
	ev := esl.NewEvent("DTMF", "")
	ev.Headers.Add("DTMF-Digit", "#")
	ev.Headers.Add("DTMF-Duration", "1600")
	d, err := DTMFFromEvent(ev)
	if err != nil || d != (DTMF{Digit: "#", Duration: 1600}) {
		t.Fatalf("DTMFFromEvent = %v, %v", d, err)
	}
	ev.Headers.Set("DTMF-Duration", "x")
	if _, err := DTMFFromEvent(ev); err == nil || err.Error() != `DTMF event: bad DTMF-Duration "x"` {
		t.Fatalf("bad duration: %v", err)
	}
	if _, err := DTMFFromEvent(esl.NewEvent("DTMF", "")); err == nil || err.Error() != `DTMF event: invalid DTMF digit "" (want one of 0-9 * # A-D)` {
		t.Fatalf("no digit: %v", err)
	}
}
