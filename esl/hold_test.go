package esl_test

import (
	"context"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
)

// TestHoldReleasesSubscription: a subscription taken with Hold lasts while
// a holder keeps it and is nixed by the last release, unless the client
// also needs it itself; releasing ALL asks again for what is still wanted.
// The switch's event order tells: a marker event fired after the one under
// test arrives after it only when that one is still subscribed.
func TestHoldReleasesSubscription(t *testing.T) {
	sw := esltest.NewSwitch(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := esl.Dial(ctx, sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(ctx, "CUSTOM", "test::marker"); err != nil {
		t.Fatal(err)
	}
	events := c.Listen(esl.Match{Names: []string{"test::probe", "test::marker", "HEARTBEAT"}, Buffer: 64})
	defer events.Close()
	fire := func(subclass string) {
		ev := &esl.Event{}
		ev.Headers.Add("Event-Name", "CUSTOM")
		ev.Headers.Add("Event-Subclass", subclass)
		if _, err := c.SendEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	// seen fires the probe then the marker and reports whether the probe
	// arrived before the marker.
	seen := func() bool {
		t.Helper()
		fire("test::probe")
		fire("test::marker")
		got := false
		for {
			ev, err := events.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			switch ev.Get("Event-Subclass") {
			case "test::probe":
				got = true
			case "test::marker":
				return got
			}
		}
	}
	if seen() {
		t.Fatal("the probe arrives before anyone holds it")
	}
	r1, err := c.Hold(ctx, "CUSTOM", "test::probe")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := c.Hold(ctx, "CUSTOM", "test::probe")
	if err != nil {
		t.Fatal(err)
	}
	if !seen() {
		t.Fatal("a held subscription does not deliver")
	}
	r1(ctx)
	r1(ctx) // a second call of the same release does nothing
	if !seen() {
		t.Fatal("released while another holder keeps it")
	}
	r2(ctx)
	if seen() {
		t.Fatal("the last release did not nix the subscription")
	}

	// ALL: its release nixes every name on the switch, then the client
	// asks again for those it still wants (the marker's CUSTOM).
	rAll, err := c.Hold(ctx, "ALL")
	if err != nil {
		t.Fatal(err)
	}
	rAll(ctx)
	fire("test::marker")
	for {
		ev, err := events.Next(ctx)
		if err != nil {
			t.Fatalf("the marker is lost after ALL was released: %v", err)
		}
		if ev.Get("Event-Subclass") == "test::marker" {
			break
		}
	}
}
