package esl

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echoAPI answers "api echo X" with X.
func echoAPI(fc *fakeConn, c *Command) {
	switch {
	case strings.HasPrefix(c.Line, "api echo "):
		fc.send(apiFrame(strings.TrimPrefix(c.Line, "api echo ")))
	case strings.HasPrefix(c.Line, "api "):
		fc.send(apiFrame("-ERR " + c.Line + " Command not found!\n"))
	default:
		fc.send(replyFrame("+OK"))
	}
}

func TestConcurrentAPI(t *testing.T) {
	sw := newFakeSwitch(t, echoAPI)
	c, err := Dial(testCtx(t), sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for g := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				want := fmt.Sprintf("g%d-%d", g, i)
				got, err := c.API(ctx, "echo "+want)
				if err != nil || got != want {
					t.Errorf("API(echo %s) = %q, %v", want, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if _, err := c.API(ctx, "nosuch"); !errors.As(err, new(*CommandError)) {
		t.Errorf("unknown api: %v, want *CommandError", err)
	}
}

// TestCancelKeepsOrder: a caller that gives up keeps its place in the FIFO;
// its late reply is discarded and the next caller gets its own.
func TestCancelKeepsOrder(t *testing.T) {
	sw := newFakeSwitch(t, func(fc *fakeConn, c *Command) {
		if c.Line == "api slow" {
			time.Sleep(200 * time.Millisecond)
			fc.send(apiFrame("slow"))
			return
		}
		echoAPI(fc, c)
	})
	c, err := Dial(testCtx(t), sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.API(ctx, "slow"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("API(slow) = %v, want DeadlineExceeded", err)
	}
	for i := range 3 {
		want := "fast" + strconv.Itoa(i)
		if got, err := c.API(testCtx(t), "echo "+want); got != want || err != nil {
			t.Fatalf("after a cancelled call: API = %q, %v; want %q", got, err, want)
		}
	}
}

// lateCtx is a context whose deadline has passed but which has not noticed
// yet: a command started with a moment left, written after it (a goroutine
// descheduled on a busy machine).
type lateCtx struct{ context.Context }

func (lateCtx) Deadline() (time.Time, bool) { return time.Now().Add(-time.Millisecond), true }

// TestDeadlineBeforeWriteKeepsConnection: a command whose context's deadline
// passes before any of it is written fails alone; the connection, shared by
// every other command, stays up (it used to be closed as if the write had
// left the stream out of step).
func TestDeadlineBeforeWriteKeepsConnection(t *testing.T) {
	sw := newFakeSwitch(t, echoAPI)
	c, err := Dial(testCtx(t), sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.API(lateCtx{context.Background()}, "echo late"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("API with its deadline passed = %v, want DeadlineExceeded", err)
	}
	for i := range 3 {
		want := "after" + strconv.Itoa(i)
		if got, err := c.API(testCtx(t), "echo "+want); got != want || err != nil {
			t.Fatalf("after a command that missed its deadline: API = %q, %v; want %q", got, err, want)
		}
	}
}

// TestSlowConsumer: a subscriber that never reads does not hold up the
// reader: API replies and a fast subscriber keep flowing, and the slow
// subscription ends with an *OverflowError after its queued events.
func TestSlowConsumer(t *testing.T) {
	const n = 2000
	sw := newFakeSwitch(t, func(fc *fakeConn, c *Command) {
		if c.Line == "api burst" {
			for i := range n {
				e := NewEvent("CUSTOM", "fsstar::seq")
				e.Headers.Add("Seq", strconv.Itoa(i))
				fc.send(eventFrame(e))
			}
			fc.send(apiFrame("done"))
			return
		}
		echoAPI(fc, c)
	})
	c, err := Dial(testCtx(t), sw.Addr(), WithEventBuffer(8))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := testCtx(t)
	if err := c.Subscribe(ctx, "CUSTOM", "fsstar::seq"); err != nil {
		t.Fatal(err)
	}
	slow := c.Listen(Match{Names: []string{"fsstar::seq"}})
	fast := c.Listen(Match{Names: []string{"fsstar::seq"}, Buffer: n})
	if got, err := c.API(ctx, "burst"); got != "done" || err != nil {
		t.Fatalf("API(burst) = %q, %v", got, err)
	}
	for i := range n {
		ev, err := fast.Next(ctx)
		if err != nil {
			t.Fatalf("fast subscriber, event %d: %v", i, err)
		}
		if ev.Get("Seq") != strconv.Itoa(i) {
			t.Fatalf("fast subscriber: event %s at position %d: order lost", ev.Get("Seq"), i)
		}
	}
	if slow.Len() != 8 {
		t.Errorf("slow queue depth %d, want 8", slow.Len())
	}
	for i := range 8 {
		if ev, err := slow.Next(ctx); err != nil || ev.Get("Seq") != strconv.Itoa(i) {
			t.Fatalf("slow subscriber keeps its queued events: %v, %v", ev, err)
		}
	}
	if _, err := slow.Next(ctx); !errors.Is(err, ErrOverflow) {
		t.Errorf("slow subscriber: %v, want ErrOverflow", err)
	}
	if st := c.Stats(); st.Overflows != 1 || st.Subscriptions != 1 {
		t.Errorf("stats %+v, want 1 overflow and 1 subscription left", st)
	}
	fast.Close()
}

// TestConnLostFailsPending: when the switch goes away every pending call
// fails at once with ErrConnLost, and so do later calls.
func TestConnLostFailsPending(t *testing.T) {
	var arrived atomic.Int32
	sw := newFakeSwitch(t, func(fc *fakeConn, c *Command) {
		if c.Line == "api hang" {
			if arrived.Add(1) == 10 {
				fc.nc.Close()
			}
			return
		}
		echoAPI(fc, c)
	})
	c, err := Dial(testCtx(t), sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := testCtx(t)
	start := time.Now()
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.API(ctx, "hang"); !errors.Is(err, ErrConnLost) {
				t.Errorf("pending API: %v, want ErrConnLost", err)
			}
		}()
	}
	wg.Wait()
	if d := time.Since(start); d > time.Second {
		t.Errorf("pending calls took %v to fail", d)
	}
	if _, err := c.API(ctx, "echo x"); !errors.Is(err, ErrConnLost) || errors.Is(err, ErrHangup) {
		t.Errorf("API after the drop: %v, want ErrConnLost", err)
	}
}

// TestReconnect: after a drop the client reconnects with backoff, restores
// its event subscription and filter, reports the states, and subscriptions
// made before the drop keep receiving.
func TestReconnect(t *testing.T) {
	restored := make(chan []string, 4)
	sw := newFakeSwitch(t, func(fc *fakeConn, c *Command) {
		switch {
		case fc.n == 1 && c.Line == "api drop":
			fc.nc.Close()
		case fc.n == 2 && (strings.HasPrefix(c.Line, "event ") || strings.HasPrefix(c.Line, "filter ")):
			restored <- []string{c.Line}
			fc.send(replyFrame("+OK"))
		case c.Line == "api fire":
			e := NewEvent("CHANNEL_HANGUP", "")
			e.Headers.Add("Unique-ID", "u1")
			fc.send(eventFrame(e))
			fc.send(apiFrame("+OK"))
		default:
			echoAPI(fc, c)
		}
	})
	var mu sync.Mutex
	var states []string
	c, err := Dial(testCtx(t), sw.Addr(),
		WithReconnect(ReconnectPolicy{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}),
		WithStateHook(func(s State, err error) {
			mu.Lock()
			states = append(states, s.String())
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	if err := c.Subscribe(ctx, "CHANNEL_HANGUP"); err != nil {
		t.Fatal(err)
	}
	if err := c.Filter(ctx, "Unique-ID", "u1"); err != nil {
		t.Fatal(err)
	}
	sub := c.Listen(Match{UUID: "u1"})
	if _, err := c.API(ctx, "drop"); !errors.Is(err, ErrConnLost) {
		t.Fatalf("API(drop): %v", err)
	}
	got := append(<-restored, <-restored...)
	if got[0] != "event plain CHANNEL_HANGUP" || got[1] != "filter Unique-ID u1" {
		t.Errorf("restored %q", got)
	}
	deadline := time.Now().Add(2 * time.Second)
	for c.Stats().Reconnects == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := c.API(ctx, "fire"); err != nil {
		t.Fatalf("API after reconnect: %v", err)
	}
	if ev, err := sub.Next(ctx); err != nil || ev.Name() != "CHANNEL_HANGUP" {
		t.Errorf("subscription after reconnect: %v, %v", ev, err)
	}
	c.Close()
	if _, err := sub.Next(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("subscription after Close: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(states, ",") != "disconnected,connected,closed" {
		t.Errorf("states %v", states)
	}
}

// TestBgAPIJobOwner: BACKGROUND_JOB is matched by Job-UUID, and a
// subscription for a channel sees a job that names it by Job-Owner-UUID.
func TestBgAPIJobOwner(t *testing.T) {
	sw := newFakeSwitch(t, func(fc *fakeConn, c *Command) {
		if strings.HasPrefix(c.Line, "bgapi ") {
			id := c.Headers.Get("Job-UUID")
			fc.send(replyFrame("+OK Job-UUID: " + id))
			// Another job first: it must not be taken for ours.
			other := NewEvent("BACKGROUND_JOB", "")
			other.Headers.Add("Job-UUID", "00000000-0000-0000-0000-000000000000")
			other.Body = []byte("-ERR other\n")
			fc.send(eventFrame(other))
			e := NewEvent("BACKGROUND_JOB", "")
			e.Headers.Add("Job-UUID", id)
			e.Headers.Add("Job-Owner-UUID", "chan-1")
			e.Body = []byte("+OK done\n")
			fc.send(eventFrame(e))
			return
		}
		echoAPI(fc, c)
	})
	c, err := Dial(testCtx(t), sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub := c.Listen(Match{UUID: "chan-1"})
	defer sub.Close()
	ev, err := c.BgAPI(testCtx(t), "originate x &park")
	if err != nil || string(ev.Body) != "+OK done\n" {
		t.Fatalf("BgAPI = %v, %v", ev, err)
	}
	if ev, err := sub.Next(testCtx(t)); err != nil || ev.Get("Job-Owner-UUID") != "chan-1" {
		t.Errorf("channel subscription: %v, %v", ev, err)
	}
}
