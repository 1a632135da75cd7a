package server_test

import (
	"strings"
	"testing"

	"github.com/fsstar/fsstar/builtins/lib/state"
	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

var mediaStateScripts = map[string]string{
	"hold.star": `
def handler(session, args):
    session.answer()
    n = state.incr("calls:" + session.getVariable("caller_id_number"), ttl=3600)
    h = session.startMedia("silence_stream://-1")
    freeswitch.msleep(100)      # the lookup the caller waits for
    session.setVariable("hold_active", str(h.active))
    session.streamFile("result.wav")   # stops the hold first
    session.setVariable("calls_seen", str(n))
    session.hangup()
`,
}

// TestParkModeMediaAndHashState: in park mode the background media is
// broadcast and stopped over the park connection, and the hash state
// backend counts across calls in the switch's mod_hash.
func TestParkModeMediaAndHashState(t *testing.T) {
	h := servertest.NewServer(t, mediaStateScripts, servertest.WithConfig(func(c *server.Config) {
		parkOn(c)
		c.StateBackend = "hash"
	}))
	waitPark(t, h)
	for i := 1; i <= 2; i++ {
		ch := parked(t, h.Switch, "hold", map[string]string{"caller_id_number": "1000"})
		if cause := waitHangup(t, ch, h); cause != "NORMAL_CLEARING" {
			t.Fatalf("hangup cause %q\n%s", cause, h.Logs())
		}
		var plays []string
		for _, a := range ch.Apps() {
			if a.Name == "playback" {
				plays = append(plays, a.Arg)
			}
		}
		if strings.Join(plays, " ") != "silence_stream://-1 result.wav" || ch.Var("hold_active") != "True" {
			t.Fatalf("playbacks %q, hold_active %q\n%s", plays, ch.Var("hold_active"), h.Logs())
		}
		if m := ch.MediaCommands(); !onlyBreaks(m) {
			t.Fatalf("media commands %q, want uuid_break (once, or again until the playback's completion came)", m)
		}
		if got := ch.Var("calls_seen"); got != string(rune('0'+i)) {
			t.Fatalf("call %d: calls_seen = %q", i, got)
		}
	}
	if raw := h.Switch.HashValue(state.DefaultHashRealm, "calls:1000"); !strings.Contains(raw, ".") {
		out, _ := h.Server.Client().API(t.Context(), "hash_dump db")
		t.Fatalf("mod_hash value %q, want <expiry>.<base64>; %s", raw, out)
	}
}

func TestConfigStateBackend(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.ScriptDirs = []string{t.TempDir()}
	cfg.StateBackend = "postgres"
	if _, err := server.New(cfg); err == nil || !strings.Contains(err.Error(), "state-backend postgres needs state-dsn") {
		t.Fatalf("err = %v", err)
	}
}

// TestMediaLeftPlayingAtTheEnd: a script that ends with background media
// playing still has its call hung up (the server stops the media first:
// the hangup is queued behind it on the channel), in socket and park mode.
func TestMediaLeftPlayingAtTheEnd(t *testing.T) {
	scripts := map[string]string{"left.star": `
def handler(session, args):
    session.answer()
    session.startMedia("silence_stream://-1")
`}
	h := servertest.NewServer(t, scripts, servertest.WithConfig(parkOn))
	waitPark(t, h)
	ch := parked(t, h.Switch, "left", nil)
	if cause := waitHangup(t, ch, h); cause != "NORMAL_CLEARING" {
		t.Fatalf("park: hangup cause %q\n%s", cause, h.Logs())
	}
	if m := ch.MediaCommands(); !onlyBreaks(m) {
		t.Fatalf("park: media commands %q, want the server's uuid_break", m)
	}
	s := servertest.NewServer(t, scripts)
	sch, cause := s.Call(t, map[string]string{"fsstar_app": "left"})
	if cause != "NORMAL_CLEARING" || !onlyBreaks(sch.MediaCommands()) {
		t.Fatalf("socket: cause %q, media commands %q\n%s", cause, sch.MediaCommands(), s.Logs())
	}
}

// onlyBreaks reports whether a channel's media commands are one or more
// plain uuid_break: a stop breaks until the playback's completion comes,
// and never with "all", which would drop a queued playback.
func onlyBreaks(m []string) bool {
	for _, c := range m {
		if c != "break" {
			return false
		}
	}
	return len(m) > 0
}
