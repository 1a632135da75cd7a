package builtins

import (
	"slices"
	"strings"
	"testing"
)

// TestSessionMediaSocket: startMedia returns while the broadcast plays (the
// script goes on, here with msleep), stop is idempotent, a replacement and a
// blocking app each stop it first, and after the hangup it is inactive.
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
    b = session.startMedia("tone_stream://%(100,0,440)")   # replaces a
    replaced = [a.active, b.active]
    session.streamFile("prompt.wav")          # stops b first
    return [active, first, again, none, replaced, b.active, b.stop(), b.path]
`, nil)
	res.check(t, `[True, True, False, False, [False, True], False, False, "tone_stream://%(100,0,440)"]`)
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
	want := []string{"silence_stream://-1", "silence_stream://-1", "tone_stream://%(100,0,440)", "prompt.wav"}
	if !slices.Equal(got, want) {
		t.Fatalf("playbacks %q, want %q", got, want)
	}
	for k := 1; k < len(plays); k++ {
		prev, next := apps[plays[k-1]], apps[plays[k]]
		if next.Start.Before(prev.End) {
			t.Errorf("playback %q started before %q ended", next.Arg, prev.Arg)
		}
	}
	if m := strings.Join(res.ch.MediaCommands(), ", "); m != "break all, break all, break all" {
		t.Errorf("media commands %q, want three uuid_break all (stop, replace, before streamFile)", m)
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

func TestSessionMediaBadPath(t *testing.T) {
	r := newRig(t)
	for _, c := range []struct{ path, want string }{
		{`"a b.wav"`, "blanks, quotes, backslashes and $ cannot pass through uuid_broadcast"},
		{`"${x}.wav"`, "cannot pass through uuid_broadcast"},
		{`"system::rm"`, `"::" would name an application`},
		{`""`, "Session.startMedia: empty path"},
	} {
		res := r.call(`
def handler(session, args):
    session.startMedia(`+c.path+`)
`, nil)
		if res.err == nil || !strings.Contains(res.err.Error(), c.want) {
			t.Errorf("startMedia(%s): %v, want %q", c.path, res.err, c.want)
		}
	}
}
