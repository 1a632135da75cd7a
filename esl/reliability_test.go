package esl

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
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

// gatedListener holds Accept until open is closed, so that connections
// pile up in the kernel's accept queue; deadlines reach the real listener.
type gatedListener struct {
	*net.TCPListener
	open chan struct{}
}

func (g gatedListener) Accept() (net.Conn, error) {
	<-g.open
	return g.TCPListener.Accept()
}

// Calls the switch connected before Shutdown but still waiting in the
// listen queue are served, not reset (before the fix, halt closed the
// listener and every one of them was dropped).
func TestShutdownServesQueuedCalls(t *testing.T) {
	const n = 5
	var ran atomic.Int32
	srv := &Server{Handler: HandlerFunc(func(ctx context.Context, c *Conn) { ran.Add(1) })}
	l := listen(t).(*net.TCPListener)
	gl := gatedListener{TCPListener: l, open: make(chan struct{})}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(gl) }()
	var sides []*switchSide
	for range n {
		sides = append(sides, dialServer(t, l.Addr().String(), "05a-outbound-async-full.jsonl", "outbound"))
	}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	waitStopped := time.Now().Add(5 * time.Second)
	for {
		srv.mu.Lock()
		stopped := srv.stopped
		srv.mu.Unlock()
		if stopped || time.Now().After(waitStopped) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(gl.open)
	var wg sync.WaitGroup
	for _, sw := range sides {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer sw.nc.Close()
			sw.handshake(10)
			sw.expect("exit")
			sw.frames("", 61, 62)
		}()
	}
	wg.Wait()
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := <-errc; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	if got := ran.Load(); got != n {
		t.Errorf("%d of %d queued calls were served", got, n)
	}
}

// A garbage frame of unknown type while a bgapi waits for its
// BACKGROUND_JOB may have been that event: the wait fails at once with
// ErrConnLost instead of lasting until its deadline.
func TestGarbageFrameWhileJobWaitsFailsFast(t *testing.T) {
	sw := newFakeSwitch(t, func(fc *fakeConn, c *Command) {
		fc.send(replyFrame("+OK Job-UUID: " + c.Headers.Get("Job-UUID")))
		fc.send([]byte("%%% not a header %%%\n\n"))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.BgAPI(ctx, "status")
	if !errors.Is(err, ErrConnLost) || time.Since(start) > 2*time.Second {
		t.Fatalf("BgAPI after a garbage frame: %v after %v, want ErrConnLost at once", err, time.Since(start))
	}
}
