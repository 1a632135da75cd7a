package esl

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// A reply too large for the limits is skipped whole: the command it answers
// fails with the frame error and the next command still gets its own reply
// (before the fix, the next command received the reply of the one after
// it: every reply from then on was off by one).
func TestOversizedReplyKeepsCorrelation(t *testing.T) {
	sw := newFakeSwitch(t, func(fc *fakeConn, c *Command) {
		switch c.Line {
		case "api big":
			fc.send(apiFrame(strings.Repeat("x", 2048)))
		default:
			fc.send(apiFrame("reply to " + c.Line))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, sw.Addr(), WithLimits(Limits{MaxBodyBytes: 1024}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.API(ctx, "big"); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized reply: err %v, want ErrFrameTooLarge", err)
	}
	for _, cmd := range []string{"one", "two"} {
		got, err := c.API(ctx, cmd)
		if err != nil || got != "reply to api "+cmd {
			t.Fatalf("API(%q) = %q, %v: replies are no longer matched to their commands", cmd, got, err)
		}
	}
}

// A garbage frame of unknown type arrives while a command waits: it may
// have been that command's reply, so the command fails at once with
// ErrConnLost (it does not wait for its deadline nor take a later reply).
func TestGarbageFrameWhilePendingFailsFast(t *testing.T) {
	sw := newFakeSwitch(t, func(fc *fakeConn, c *Command) {
		switch c.Line {
		case "api garbage":
			fc.send([]byte("%%% not a header %%%\n\n"))
		default:
			fc.send(apiFrame("reply to " + c.Line))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.API(ctx, "garbage")
	if !errors.Is(err, ErrConnLost) || time.Since(start) > 2*time.Second {
		t.Fatalf("API after a garbage reply: %v after %v, want ErrConnLost at once", err, time.Since(start))
	}
	var fe *FrameError
	if !errors.As(err, &fe) {
		t.Errorf("error %v does not carry the frame error", err)
	}
}

// A bad frame announced as an event is skipped without touching pending
// commands.
func TestBadEventFrameIsSkipped(t *testing.T) {
	sw := newFakeSwitch(t, func(fc *fakeConn, c *Command) {
		fc.send([]byte("Content-Type: text/event-plain\nbroken line\nContent-Length: 3\n\nabc"))
		fc.send(apiFrame("reply to " + c.Line))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := c.API(ctx, "status"); err != nil || got != "reply to api status" {
		t.Fatalf("API = %q, %v", got, err)
	}
}
