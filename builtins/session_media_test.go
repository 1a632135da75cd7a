package builtins

import (
	"slices"
	"strings"
	"testing"
)

// TestSessionMediaSocket: startMedia returns while the broadcast plays (the
// script goes on, here with msleep), stop is idempotent, a replacement and a
// blocking app each stop it first, and after the hangup it is inactive.
// Every playback runs, one after the other, whether its stop came before or
// after it started (a stop breaks until the playback's completion), and
// the media is endless, so that nothing here depends on how fast the
// script runs.
func TestSessionMediaSocket(t *testing.T) {
	r := newRig(t)
	res := r.call(`
def handler(session, args):
    session.answer()
    h = session.startMedia("silence_stream://-1")
    freeswitch.msleep(200)                    # keep working while it plays
    active = h.active
    first = h.stop()
    again = h.stop()
    none = session.stopMedia()
    a = session.startMedia("silence_stream://-1")
    b = session.startMedia("tone_stream://%(100,0,440);loops=-1")   # replaces a
    replaced = [a.active, b.active]
    session.streamFile("prompt.wav")          # stops b first
    return [active, first, again, none, replaced, b.active, b.stop(), b.path]
`, nil)
	res.check(t, `[True, True, False, False, [False, True], False, False, "tone_stream://%(100,0,440);loops=-1"]`)
	var plays []int
	apps := res.ch.Apps()
	for i, a := range apps {
		if a.Name == "playback" {
			plays = append(plays, i)
		}
	}
	got := []string{}
	for _, i := range plays {
		got = append(got, apps[i].Arg)
	}
	want := []string{"silence_stream://-1", "silence_stream://-1", "tone_stream://%(100,0,440);loops=-1", "prompt.wav"}
	if !slices.Equal(got, want) {
		t.Fatalf("playbacks %q, want %q", got, want)
	}
	for k := 1; k < len(plays); k++ {
		prev, next := apps[plays[k-1]], apps[plays[k]]
		if next.Start.Before(prev.End) {
			t.Errorf("playback %q started before %q ended", next.Arg, prev.Arg)
		}
	}
	// At least one uuid_break per stop (stop, replace, before streamFile):
	// another each mediaBreakEvery until the playback's completion came.
	m := res.ch.MediaCommands()
	if len(m) < 3 || strings.Trim(strings.Join(m, ","), "break,") != "" {
		t.Errorf("media commands %q, want 3 or more uuid_break (never all: that would drop a queued playback)", m)
	}
}

// TestSessionMediaHangup: the hangup ends the background media; stopping it
// afterwards sends nothing and returns False.
func TestSessionMediaHangup(t *testing.T) {
	r := newRig(t)
	res := r.call(`
def handler(session, args):
    session.answer()
    h = session.startMedia("silence_stream://-1")
    sim.hangup_after("NORMAL_CLEARING", 100)
    for _ in range(200):
        if not session.ready():
            break
        freeswitch.msleep(20)
    after = session.startMedia("silence_stream://-1")
    return [session.ready(), h.active, h.stop(), session.stopMedia(), after.active]
`, nil)
	res.check(t, `[False, False, False, False, False]`)
	if m := res.ch.MediaCommands(); len(m) != 0 {
		t.Errorf("media commands after the hangup: %q", m)
	}
}

// TestSessionMediaPath: the path reaches the playback as written (it goes
// in a sendmsg header, not through the api's argument parser), ${...} not
// expanded; an empty one is an error.
func TestSessionMediaPath(t *testing.T) {
	r := newRig(t)
	res := r.call(`
def handler(session, args):
    session.answer()
    h = session.startMedia("my ${x} prompt.wav")
    freeswitch.msleep(50)
    h.stop()
    session.startMedia("")
`, nil)
	if res.err == nil || !strings.Contains(res.err.Error(), "Session.startMedia: empty path") {
		t.Fatalf("startMedia(\"\"): %v", res.err)
	}
	var got []string
	for _, a := range res.ch.Apps() {
		if a.Name == "playback" {
			got = append(got, a.Arg)
		}
	}
	if !slices.Equal(got, []string{"my ${x} prompt.wav"}) {
		t.Fatalf("playbacks %q", got)
	}
}

// TestSessionMediaEnds: a prompt that ended on its own is no longer active,
// and stopping it sends nothing.
func TestSessionMediaEnds(t *testing.T) {
	r := newRig(t)
	res := r.call(`
def handler(session, args):
    session.answer()
    h = session.startMedia("tone_stream://%(100,0,440)")
    for _ in range(250):
        if not h.active:
            break
        freeswitch.msleep(20)
    return [h.active, h.stop(), session.stopMedia()]
`, nil)
	res.check(t, `[False, False, False]`)
	if m := res.ch.MediaCommands(); len(m) != 0 {
		t.Errorf("media commands %q, want none", m)
	}
}
