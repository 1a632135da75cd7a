package tests

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestBackgroundMediaStopsFreeSWITCH starts and stops background media 30
// times in a row on a real switch, the stop coming 0, 20 and 300 ms after
// the start: each stop must take (a break lost while the switch starts the
// playback would leave it playing for ever, and the call would not end),
// the greeting after the last stop must play in full, and the call must end.
// It logs the median cost of startMedia and stop.
func TestBackgroundMediaStopsFreeSWITCH(t *testing.T) {
	addr, pw := realSwitch(t)
	s := startService(t, addr, pw)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := dialSwitch(ctx, t, addr, pw)
	observeScenarios(ctx, t, c, s)
	for _, gap := range []int{0, 20, 300} {
		t.Run("gap"+strconv.Itoa(gap), func(t *testing.T) {
			sc := scenario{name: "media_stop_" + strconv.Itoa(gap), timeout: 60 * time.Second, star: `
def handler(session, args):
    session.answer()
    starts = []
    stops = []
    for i in range(30):
        a = time.now()
        h = session.startMedia("silence_stream://-1")
        b = time.now()
        freeswitch.msleep(` + strconv.Itoa(gap) + `)
        c = time.now()
        h.stop()
        d = time.now()
        starts.append((b - a) // time.microsecond)
        stops.append((d - c) // time.microsecond)
    out(session, "start_us_median", sorted(starts)[15])
    out(session, "stop_us_median", sorted(stops)[15])
    out(session, "stop_us_max", max(stops))
    session.streamFile("` + tone1 + `")
`}
			if err := os.WriteFile(filepath.Join(s.scripts, "diff", sc.name+".star"), []byte(starPrelude+sc.star), 0o644); err != nil {
				t.Fatal(err)
			}
			obs := runScenario(ctx, t, c, sc, "star", "&socket('"+s.listen+" async full')")
			if obs["ended"] == "no" || obs["cause"] != "NORMAL_CLEARING" {
				t.Fatalf("the call did not end normally: %v", obs)
			}
			last := ""
			for i := 0; ; i++ {
				p, ok := obs["playback "+strconv.Itoa(i)]
				if !ok {
					break
				}
				last = p
			}
			if want := tone1 + " 1000ms"; !durationsClose(last, want) {
				t.Errorf("last playback %q, want the greeting in full (%s)", last, want)
			}
			t.Logf("stop %d ms after start: %s, %s, %s", gap, obs["event 0"], obs["event 1"], obs["event 2"])
		})
	}
}

// TestBackgroundMediaLeftPlayingFreeSWITCH: a script that ends with
// background media playing has its call hung up on a real switch (the
// server's hangup is a sendmsg queued behind the playback: it stops the
// media first).
func TestBackgroundMediaLeftPlayingFreeSWITCH(t *testing.T) {
	addr, pw := realSwitch(t)
	s := startService(t, addr, pw)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := dialSwitch(ctx, t, addr, pw)
	observeScenarios(ctx, t, c, s)
	sc := scenario{name: "media_left_playing", timeout: 20 * time.Second, star: `
def handler(session, args):
    session.answer()
    session.startMedia("silence_stream://-1")
    freeswitch.msleep(500)
`}
	if err := os.WriteFile(filepath.Join(s.scripts, "diff", sc.name+".star"), []byte(starPrelude+sc.star), 0o644); err != nil {
		t.Fatal(err)
	}
	obs := runScenario(ctx, t, c, sc, "star", "&socket('"+s.listen+" async full')")
	if obs["ended"] == "no" || obs["cause"] != "NORMAL_CLEARING" {
		t.Fatalf("the call did not end normally: %v", obs)
	}
}

// durationsClose compares two "<file> <n>ms" playbacks within durationSlack.
func durationsClose(got, want string) bool {
	g, gf := splitPlay(got)
	w, wf := splitPlay(want)
	d := g - w
	return gf == wf && d < durationSlack && -d < durationSlack
}

func splitPlay(p string) (time.Duration, string) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == ' ' {
			n, _ := strconv.Atoi(p[i+1 : len(p)-2])
			return time.Duration(n) * time.Millisecond, p[:i]
		}
	}
	return 0, p
}
