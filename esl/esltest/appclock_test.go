package esltest

import (
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// The app clock stands still while the outbound server thinks between
// commands, so a digit pressed "300 ms into the call" reaches the prompt the
// script starts after a (real) pause, not the silence before it. A
// uuid_transfer leaves transfer_source / transfer_history as FreeSWITCH
// writes them.
func TestAppClockAndTransferVariables(t *testing.T) {
	sw := NewSwitch(t, WithTimeScale(0.01))
	errs := make(chan string, 10)
	ready := make(chan *Channel, 1)
	addr := outboundServer(t, func(c *client) {
		defer close(errs)
		f := c.cmd("connect")
		id := f.Headers.Get("Unique-ID")
		c.cmd("myevents")
		ch := <-ready
		time.Sleep(50 * time.Millisecond) // 5 simulated seconds of "script" time
		if at := ch.AppTime(); at != 0 {
			errs <- "app clock ran while the script thought: " + at.String()
		}
		execute(c, "play_and_get_digits", "1 1 1 5000 # silence_stream://1000 '' d \\d", "p-1")
		c.reply()
		ev := c.waitEvent(func(ev *esl.Event) bool {
			return ev.Get("Application-UUID") == "p-1" && ev.Name() == "CHANNEL_EXECUTE_COMPLETE"
		})
		if ev.Variable("d") != "5" {
			errs <- "pagd did not get the digit: " + ev.String()
		}
		// At most the prompt and the digit timeout, however slow the machine.
		if at := ch.AppTime(); at < 300*time.Millisecond || at > 6*time.Second {
			errs <- "app clock after the digit: " + ch.AppTime().String()
		}
		if out := c.api("uuid_transfer " + id + " 1002 XML default"); out != "+OK\n" {
			errs <- "uuid_transfer: " + out
		}
		for { // the transfer ends the socket app
			if f, err := c.readErr(5 * time.Second); err != nil || f.ContentType() == esl.TypeDisconnectNotice {
				return
			}
		}
	})
	ch, err := sw.PlaceCall(t.Context(), addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	var firedAt time.Duration
	ch.AtAppTime(300*time.Millisecond, func() { firedAt = ch.AppTime(); ch.SendDTMF("5") })
	stopped := false
	stop := ch.AtAppTime(time.Millisecond, func() { stopped = true })
	stop()
	ready <- ch
	cause, err := ch.WaitHangup(ctxTimeout(t, 10*time.Second))
	if err != nil || cause != "NO_ROUTE_DESTINATION" {
		t.Fatalf("hangup: %q %v", cause, err)
	}
	for e := range errs {
		t.Error(e)
	}
	sw.Close()
	if firedAt < 300*time.Millisecond {
		t.Errorf("AtAppTime fired at %s", firedAt)
	}
	if stopped {
		t.Error("a stopped AtAppTime fired")
	}
	src := ch.Var("transfer_source")
	if !strings.HasSuffix(src, ":"+ch.UUID()+":bl_xfer:1002/default/XML") {
		t.Errorf("transfer_source: %q", src)
	}
	if h := ch.Var("transfer_history"); h != src {
		t.Errorf("transfer_history: %q, want %q", h, src)
	}
}

// TestAppClockLimitedByTimers: while an app waits on a timer of its own,
// the clock counts at most that timer's length, however late the timer
// fires (here: the machine "busy" for 20 ms of real time, 2 simulated
// seconds, beside a 100 ms wait); once the wait is over the clock runs on.
func TestAppClockLimitedByTimers(t *testing.T) {
	sw := NewSwitch(t, WithTimeScale(0.01))
	ch, err := sw.ParkCall(ctxTimeout(t, 5*time.Second), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, running, _ := ch.appTime(); running {
			break // park runs
		}
		if time.Now().After(deadline) {
			t.Fatal("the parked call's clock never started")
		}
	}
	ch.clockWaits(100 * time.Millisecond)
	before := ch.AppTime()
	time.Sleep(20 * time.Millisecond)
	if got := ch.AppTime() - before; got > 100*time.Millisecond {
		t.Fatalf("the clock ran %v during a 100 ms wait that took 2 s, want 100 ms at most", got)
	}
	if _, running, _ := ch.appTime(); running {
		t.Fatal("the clock runs past its limit")
	}
	ch.clockWaitDone()
	at := ch.AppTime()
	time.Sleep(5 * time.Millisecond)
	if got := ch.AppTime() - at; got < 500*time.Millisecond {
		t.Fatalf("after the wait the clock ran %v in 5 ms of real time, want 500 ms or more", got)
	}
}

// TestDTMFDuring: digits registered for an app come at the given app-clock
// offsets from its start ("1W2#": 1, then 2# a second later), however long
// the channel was parked before the app ran; the run's Took is on the app
// clock too.
func TestDTMFDuring(t *testing.T) {
	sw := NewSwitch(t, WithTimeScale(0.01))
	c := dialSwitch(t, sw, true)
	ch := parked(t, sw, c)
	ch.DTMFDuring("play_and_get_digits", 300*time.Millisecond, "1W2#")
	time.Sleep(30 * time.Millisecond) // 3 s of park before the app
	id := sendExec(t, c, ch, "play_and_get_digits", `2 2 1 5000 # silence_stream://3000 silence_stream://100 d \d+`)
	run := waitComplete(t, c, ch, id)
	if got := run.ev.Variable("d"); got != "12" {
		t.Fatalf("d = %q, want 12", got)
	}
	// 2# comes 1.3 s into the app; the digit timeout (5 s) never runs out.
	if run.elapsed < 1300*time.Millisecond || run.elapsed >= 5*time.Second {
		t.Errorf("play_and_get_digits took %v of app time, want 1.3 s to 5 s", run.elapsed)
	}
}

// TestDTMFEachRun: one key into each of the next runs of an app, however
// long the channel is parked between them; a run after the last key gets
// none.
func TestDTMFEachRun(t *testing.T) {
	sw := NewSwitch(t, WithTimeScale(0.01))
	c := dialSwitch(t, sw, true)
	ch := parked(t, sw, c)
	ch.DTMFEachRun("read", 200*time.Millisecond, "4", "2")
	for i, want := range []string{"4", "2", ""} {
		time.Sleep(10 * time.Millisecond) // a simulated second of park between reads
		id := sendExec(t, c, ch, "read", "1 1 silence_stream://100 d 1000 #")
		if got := waitComplete(t, c, ch, id).ev.Variable("d"); got != want {
			t.Errorf("read %d: d = %q, want %q", i+1, got, want)
		}
	}
}
