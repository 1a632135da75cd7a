package esl

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// transcriptDir holds byte-exact traffic recorded from a real FreeSWITCH.
const transcriptDir = "../../shared/esl-transcripts"

// record is one line of a transcript .jsonl file.
type record struct {
	Seq  int    `json:"seq"`
	Conn string `json:"conn"`
	Dir  string `json:"dir"`
	B64  string `json:"b64"`
}

// loadTranscripts returns every transcript file's records. The tests need
// them: a checkout without them fails loudly rather than passing on nothing.
func loadTranscripts(tb testing.TB) map[string][]record {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(transcriptDir, "*.jsonl"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no transcripts found in %s (err=%v): they are part of shared/", transcriptDir, err)
	}
	out := map[string][]record{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var r record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				tb.Fatalf("%s: %v", f, err)
			}
			out[filepath.Base(f)] = append(out[filepath.Base(f)], r)
		}
	}
	return out
}

func (r record) bytes(tb testing.TB) []byte {
	b, err := base64.StdEncoding.DecodeString(r.B64)
	if err != nil {
		tb.Fatalf("seq %d: %v", r.Seq, err)
	}
	return b
}

// isESL reports whether a transcript file holds ESL traffic (the *-http files hold HTTP).
func isESL(name string) bool { return !strings.Contains(name, "-http") }

// TestTranscriptFrames reads each connection's switch-to-client stream as one
// byte stream and checks that the reader cuts it into exactly the recorded
// frames, and that every event in it decodes and serializes back to the very
// bytes the switch sent.
func TestTranscriptFrames(t *testing.T) {
	var frames, events int
	types := map[string]int{}
	for name, recs := range loadTranscripts(t) {
		if !isESL(name) {
			continue
		}
		streams := map[string][][]byte{}
		for _, r := range recs {
			if r.Dir == "s2c" {
				streams[r.Conn] = append(streams[r.Conn], r.bytes(t))
			}
		}
		for conn, recs := range streams {
			rd := NewReader(bytes.NewReader(bytes.Join(recs, nil)), Limits{})
			for i, want := range recs {
				f, err := rd.ReadFrame()
				if err != nil {
					t.Fatalf("%s conn %s frame %d: %v", name, conn, i, err)
				}
				frames++
				types[f.ContentType()]++
				if f.ContentType() == "" {
					t.Errorf("%s conn %s frame %d: no Content-Type in %q", name, conn, i, truncate(string(want), 200))
				}
				if len(f.Body) != len(want)-bytes.Index(want, []byte("\n\n"))-2 {
					t.Errorf("%s conn %s frame %d: body of %d bytes, record has %d after the header block", name, conn, i, len(f.Body), len(want)-bytes.Index(want, []byte("\n\n"))-2)
				}
				if !f.IsEvent() {
					continue
				}
				ev, err := ParseEvent(f)
				if err != nil {
					t.Fatalf("%s conn %s frame %d: %v", name, conn, i, err)
				}
				events++
				if ev.Name() == "" {
					t.Errorf("%s conn %s frame %d: event without Event-Name", name, conn, i)
				}
				var again []byte
				switch f.ContentType() {
				case TypeEventPlain:
					again = ev.MarshalPlain()
				case TypeEventJSON:
					again, _ = ev.MarshalJSON()
				case TypeEventXML:
					again = ev.MarshalXMLText()
				}
				if !bytes.Equal(again, f.Body) {
					t.Errorf("%s conn %s frame %d (%s %s): serialized again differs:\n got %q\nwant %q", name, conn, i, f.ContentType(), ev.Name(), truncate(string(diffTail(again, f.Body)), 300), truncate(string(diffTail(f.Body, again)), 300))
				}
			}
			if _, err := rd.ReadFrame(); err == nil {
				t.Errorf("%s conn %s: a frame more than recorded", name, conn)
			}
		}
	}
	t.Logf("%d frames, %d events; content types %v", frames, events, types)
	for _, ct := range []string{TypeAuthRequest, TypeCommandReply, TypeAPIResponse, TypeEventPlain, TypeEventJSON, TypeEventXML, TypeLogData, TypeDisconnectNotice, TypeRudeRejection} {
		if types[ct] == 0 {
			t.Errorf("no %s frame met in the transcripts", ct)
		}
	}
}

// diffTail returns a from the first byte where it differs from b.
func diffTail(a, b []byte) []byte {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i > 40 {
		i -= 40
	} else {
		i = 0
	}
	return a[i:]
}
