package esltest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
)

func TestFaults(t *testing.T) {
	sw := NewSwitch(t)

	t.Run("reject", func(t *testing.T) {
		sw.RejectConnections(true)
		defer sw.RejectConnections(false)
		nc, err := net.Dial("tcp", sw.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c := newClient(t, nc)
		if f := c.read(); f.ContentType() != esl.TypeRudeRejection || string(f.Body) != "Access Denied, go away.\n" {
			t.Fatalf("got %s %q", f.ContentType(), f.Body)
		}
		c.expectGoodbye()
		c.expectClosed()
	})
	t.Run("refuse auth", func(t *testing.T) {
		sw.RefuseAuth(true)
		defer sw.RefuseAuth(false)
		c := dialSwitch(t, sw, false)
		if f := c.cmd("auth ClueCon"); f.ReplyText() != "-ERR invalid" {
			t.Fatalf("got %q", f.ReplyText())
		}
		c.expectGoodbye()
	})
	t.Run("drop", func(t *testing.T) {
		c := dialSwitch(t, sw, true)
		if n := sw.Drop(Inbound); n < 1 {
			t.Fatalf("dropped %d", n)
		}
		c.expectClosed()
	})
	t.Run("delay", func(t *testing.T) {
		c := dialSwitch(t, sw, true)
		sw.DelayReplies(100 * time.Millisecond)
		start := time.Now()
		c.api("hostname")
		sw.DelayReplies(0)
		if d := time.Since(start); d < 100*time.Millisecond {
			t.Fatalf("reply after %v", d)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		c := dialSwitch(t, sw, true)
		sw.CorruptNextFrame(Inbound)
		c.send("api hostname", nil, nil)
		_, err := c.readErr(5 * time.Second)
		var fe *esl.FrameError
		if !errors.As(err, &fe) {
			t.Fatalf("want a frame error, got %v", err)
		}
		if out := c.api("hostname"); out != "vm" {
			t.Fatalf("after corruption: %q", out)
		}
	})
	t.Run("stall", func(t *testing.T) {
		c := dialSwitch(t, sw, true)
		sw.Stall(true)
		c.send("api hostname", nil, nil)
		if _, err := c.readErr(100 * time.Millisecond); err == nil {
			t.Fatal("stalled switch replied")
		}
		sw.Stall(false)
		c.nc.SetReadDeadline(time.Time{})
		// The timed-out read left the reader unusable: read on a fresh reader.
		c.r = esl.NewReader(c.nc, esl.Limits{})
		if f := c.read(); string(f.Body) != "vm" {
			t.Fatalf("after stall: %q", f.Body)
		}
	})
	t.Run("fail next api", func(t *testing.T) {
		c := dialSwitch(t, sw, true)
		sw.FailNextAPI("uuid_exists", "-ERR refused\n")
		if out := c.api("hostname"); out != "vm" {
			t.Fatalf("another command: %q", out)
		}
		if out := c.api("uuid_exists nobody"); out != "-ERR refused\n" {
			t.Fatalf("the failed command: %q", out)
		}
		if out := c.api("uuid_exists nobody"); out != "false" {
			t.Fatalf("the same command again: %q, want it run", out)
		}
	})
	t.Run("outbound drop hangs up", func(t *testing.T) {
		connected := make(chan struct{})
		addr := outboundServer(t, func(c *client) {
			c.cmd("connect")
			close(connected)
			c.readErr(5 * time.Second)
		})
		ch, err := sw.PlaceCall(t.Context(), addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		<-connected
		sw.Drop(Outbound)
		if cause, err := ch.WaitHangup(ctxTimeout(t, 5*time.Second)); err != nil || cause != "NORMAL_CLEARING" {
			t.Fatalf("%q %v", cause, err)
		}
	})
}

func TestSlowListenerIsDisconnected(t *testing.T) {
	sw := NewSwitch(t, WithEventQueue(8))
	slow := dialSwitch(t, sw, true)
	slow.cmd("event plain ALL")
	c := dialSwitch(t, sw, true)
	body := bytes.Repeat([]byte("x"), 64<<10)
	for i := 0; i < 400 && !slowClosed(sw); i++ {
		// 64 KB events nobody reads on slow: more than the socket buffers hold.
		c.send("sendevent CUSTOM", esl.Headers{{Name: "Event-Subclass", Value: "fsstar::big"}}, body)
		c.reply()
	}
	slow.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, slow.nc)
	if err != nil {
		t.Fatalf("slow listener: %v", err)
	}
	if out := c.api("hostname"); out != "vm" {
		t.Fatalf("switch after dropping a slow listener: %q", out)
	}
}

func TestPlaceCallNobodyListening(t *testing.T) {
	sw := NewSwitch(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if _, err := sw.PlaceCall(t.Context(), addr, nil); err == nil {
		t.Fatal("want an error")
	}
	if err := sw.WaitIdle(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
}

// slowClosed reports whether the switch has dropped a listener (only the
// sender is left).
func slowClosed(sw *Switch) bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return len(sw.conns) < 2
}
