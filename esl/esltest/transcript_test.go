package esltest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/fsstar/fsstar/esl"
)

// TestTranscriptReplyShapes replays the stateless commands of recorded
// inbound sessions and checks the simulator answers with the same
// Content-Type, the same header names, the same -ERR/-USAGE texts and the
// same kind of body (+OK, JSON, text) as the real switch did.
func TestTranscriptReplyShapes(t *testing.T) {
	sw := NewSwitch(t)
	checked := 0
	for _, file := range []string{"01-inbound-auth", "02-inbound-api", "03f-events-filter-nixevent", "10-inbound-extras"} {
		data, err := os.ReadFile("../../../shared/esl-transcripts/" + file + ".jsonl")
		if err != nil {
			t.Skipf("transcripts not found: %v", err)
		}
		type rec struct{ Conn, Dir, B64 string }
		var recs []rec
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var r rec
			json.Unmarshal(sc.Bytes(), &r)
			recs = append(recs, r)
		}
		for i, r := range recs {
			if r.Dir != "c2s" {
				continue
			}
			raw, _ := base64.StdEncoding.DecodeString(r.B64)
			line := strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[0])
			if !replayable(line) {
				continue
			}
			var want *esl.Frame
			for _, n := range recs[i+1:] {
				if n.Conn == r.Conn && n.Dir == "s2c" {
					b, _ := base64.StdEncoding.DecodeString(n.B64)
					f, err := esl.NewReader(bytes.NewReader(b), esl.Limits{}).ReadFrame()
					if err == nil && !f.IsEvent() {
						want = f
						break
					}
				}
			}
			if want == nil {
				continue
			}
			c := dialSwitch(t, sw, true)
			c.cmd("event plain CHANNEL_CREATE") // some commands need a listener, as in the recording
			c.cmd("event plain ALL")
			if strings.HasPrefix(line, "noevents") || strings.HasPrefix(line, "nixevent") {
				c.cmd("noevents")
				c.cmd("event plain ALL")
			}
			got := c.cmd(line)
			checked++
			if got.ContentType() != want.ContentType() {
				t.Errorf("%s: %q: Content-Type %q, recorded %q", file, line, got.ContentType(), want.ContentType())
				continue
			}
			if names(got.Headers) != names(want.Headers) {
				t.Errorf("%s: %q: headers %s, recorded %s", file, line, names(got.Headers), names(want.Headers))
			}
			gb, wb := string(got.Body)+got.ReplyText(), string(want.Body)+want.ReplyText()
			if kind(gb) != kind(wb) {
				t.Errorf("%s: %q: reply %q, recorded %q", file, line, gb, wb)
			}
			if strings.HasPrefix(wb, "-") && !strings.Contains(line, "000000") && gb != wb && !strings.HasPrefix(line, "noevents") {
				t.Errorf("%s: %q: error %q, recorded %q", file, line, gb, wb)
			}
		}
	}
	if checked < 25 {
		t.Fatalf("only %d commands checked", checked)
	}
}

func replayable(line string) bool {
	for _, skip := range []string{"auth", "exit", "originate", "sendmsg", "sendevent", "filter", "myevents 0", "bgapi", "show channels", "show calls", "uuid_getvar 0f", "uuid_kill 0f", "uuid_kill a5", "uuid_exists 9", "uuid_dump 9", "uuid_getvar 9", "uuid_kill 9", "global_getvar", "status", "noevents"} {
		if strings.HasPrefix(line, skip) || strings.HasPrefix(line, "api "+skip) {
			return false
		}
	}
	return line != ""
}

func names(h esl.Headers) string {
	var n []string
	for _, x := range h {
		n = append(n, x.Name)
	}
	return strings.Join(n, ",")
}

// kind classifies a reply: error, usage, ok, json, empty or text.
func kind(s string) string {
	switch {
	case strings.HasPrefix(s, "-ERR"):
		return "-ERR"
	case strings.HasPrefix(s, "-USAGE"):
		return "-USAGE"
	case strings.HasPrefix(s, "+OK"):
		return "+OK"
	case strings.HasPrefix(s, "{"):
		return "json"
	case s == "":
		return "empty"
	}
	return "text"
}
