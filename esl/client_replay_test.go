package esl

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestDialRecordedAuth(t *testing.T) {
	t.Run("wrong password", func(t *testing.T) {
		p := newReplayPeer(t, "01-inbound-auth.jsonl", "wrongpw")
		start := time.Now()
		_, err := Dial(testCtx(t), p.Addr(), WithPassword("WrongPassword"))
		ae, ok := errors.AsType[*AuthError](err)
		if !ok || ae.Reply != "-ERR invalid" {
			t.Fatalf("Dial: %v, want *AuthError -ERR invalid", err)
		}
		if strings.Contains(err.Error(), "WrongPassword") {
			t.Errorf("error %q shows the password", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("wrong password took %v to fail", d)
		}
	})
	t.Run("good password and exit", func(t *testing.T) {
		p := newReplayPeer(t, "01-inbound-auth.jsonl", "goodpw")
		c, err := Dial(testCtx(t), p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		p.waitConsumed(t) // auth
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		p.waitConsumed(t) // exit
		if err := c.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := c.API(testCtx(t), "status"); !errors.Is(err, ErrClosed) {
			t.Errorf("API after Close: %v, want ErrClosed", err)
		}
	})
	t.Run("ACL rejection", func(t *testing.T) {
		p := newReplayPeer(t, "01-inbound-auth.jsonl", "acl")
		start := time.Now()
		_, err := Dial(testCtx(t), p.Addr())
		if !errors.Is(err, ErrRejected) {
			t.Fatalf("Dial: %v, want ErrRejected", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("rejection took %v", d)
		}
	})
}

func TestDialNoBanner(t *testing.T) {
	l := listen(t)
	go func() {
		nc, err := l.Accept()
		if err == nil {
			defer nc.Close()
			time.Sleep(500 * time.Millisecond)
		}
	}()
	_, err := Dial(testCtx(t), l.Addr().String(), WithDialTimeout(100*time.Millisecond))
	if !errors.Is(err, ErrNoBanner) {
		t.Fatalf("Dial: %v, want ErrNoBanner", err)
	}
}

// driveRecorded replays a recorded inbound session: for every command the
// recorded client sent it makes the matching Client call, and checks the
// result against the recorded answer. Calls run in their own goroutines
// (an execute may complete only after later commands); the peer confirms
// each command before the next is issued, so the order is the recorded one.
func driveRecorded(t *testing.T, file, conn string) {
	p := newReplayPeer(t, file, conn)
	ctx := testCtx(t)
	c, err := Dial(ctx, p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	p.waitConsumed(t) // auth
	recs := p.recs
	var wg sync.WaitGroup
	defer wg.Wait()
	for i, r := range recs {
		if r.Dir != "c2s" {
			continue
		}
		cmd, err := NewReader(bytes.NewReader(r.bytes(t)), Limits{}).ReadCommand()
		if err != nil {
			t.Fatalf("seq %d: %v", r.Seq, err)
		}
		next := nextFrame(t, recs[i+1:])
		line := cmd.Line
		switch {
		case strings.HasPrefix(line, "auth "):
			continue
		case line == "exit":
			wg.Wait()
			if err := c.Close(); err != nil {
				t.Error(err)
			}
		case strings.HasPrefix(line, "api "):
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := c.API(ctx, strings.TrimPrefix(line, "api "))
				want := string(next.Body)
				if out != want {
					t.Errorf("seq %d %q: output %q, want %q", r.Seq, line, out, want)
				}
				isErr := strings.HasPrefix(want, "-ERR") || strings.HasPrefix(want, "-USAGE")
				if _, ok := errors.AsType[*CommandError](err); ok != isErr {
					t.Errorf("seq %d %q: error %v for output %q", r.Seq, line, err, want)
				}
			}()
		case strings.HasPrefix(line, "event plain "):
			if err := c.Subscribe(ctx, strings.Fields(line)[2:]...); err != nil {
				t.Errorf("seq %d: %v", r.Seq, err)
			}
		case line == "noevents":
			if err := c.NoEvents(ctx); err != nil {
				t.Errorf("seq %d: %v", r.Seq, err)
			}
		case strings.HasPrefix(line, "bgapi "):
			ev := nextEvent(t, recs[i+1:], "BACKGROUND_JOB")
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := c.BgAPI(ctx, strings.TrimPrefix(line, "bgapi "))
				if got == nil {
					t.Errorf("seq %d %q: %v", r.Seq, line, err)
					return
				}
				if !bytes.Equal(got.Body, ev.Body) {
					t.Errorf("seq %d %q: body %q, want %q", r.Seq, line, got.Body, ev.Body)
				}
				if isErr := bytes.HasPrefix(ev.Body, []byte("-ERR")); isErr != (err != nil) {
					t.Errorf("seq %d %q: error %v for body %q", r.Seq, line, err, ev.Body)
				}
			}()
		case strings.HasPrefix(line, "sendmsg "):
			uuid := strings.TrimPrefix(line, "sendmsg ")
			h := cmd.Headers
			_, hasEventUUID := h.Lookup("Event-UUID")
			switch {
			case h.Get("call-command") == "execute" && hasEventUUID:
				opts := ExecuteOptions{EventLock: h.Get("event-lock") == "true", ArgInBody: len(cmd.Body) > 0}
				opts.Loops, _ = strconv.Atoi(h.Get("loops"))
				arg := h.Get("execute-app-arg")
				if len(cmd.Body) > 0 {
					arg = string(cmd.Body)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					ev, err := c.Execute(ctx, uuid, h.Get("execute-app-name"), arg, opts)
					if err != nil {
						t.Errorf("seq %d execute: %v", r.Seq, err)
						return
					}
					if ev.Name() != "CHANNEL_EXECUTE_COMPLETE" || ev.Get("Application") != h.Get("execute-app-name") {
						t.Errorf("seq %d: got %s of %s", r.Seq, ev.Name(), ev.Get("Application"))
					}
				}()
			case h.Get("call-command") == "hangup":
				if err := c.Hangup(ctx, uuid, h.Get("hangup-cause")); err != nil {
					t.Errorf("seq %d: %v", r.Seq, err)
				}
			default:
				err := c.SendMsg(ctx, uuid, h, cmd.Body)
				want := replyError(line, next.ReplyText())
				if (err == nil) != (want == nil) {
					t.Errorf("seq %d: SendMsg: %v, want %v", r.Seq, err, want)
				}
			}
		case strings.HasPrefix(line, "sendevent "):
			e := NewEvent(strings.TrimPrefix(line, "sendevent "), "")
			for _, x := range cmd.Headers {
				if !strings.EqualFold(x.Name, "content-length") {
					e.Headers.Add(x.Name, x.Value)
				}
			}
			e.Body = cmd.Body
			id, err := c.SendEvent(ctx, e)
			if err != nil || id != strings.TrimPrefix(next.ReplyText(), "+OK ") {
				t.Errorf("seq %d: SendEvent = %q, %v", r.Seq, id, err)
			}
		default:
			t.Fatalf("seq %d: no client call for %q", r.Seq, line)
		}
		if got := p.waitConsumed(t); got != line {
			t.Fatalf("peer consumed %q, want %q", got, line)
		}
	}
	wg.Wait()
	c.Close()
}

// nextFrame returns the next recorded switch frame.
func nextFrame(t testing.TB, recs []record) *Frame {
	for _, r := range recs {
		if r.Dir == "s2c" {
			f, err := NewReader(bytes.NewReader(r.bytes(t)), Limits{}).ReadFrame()
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return &Frame{}
}

// nextEvent returns the next recorded event called name.
func nextEvent(t testing.TB, recs []record, name string) *Event {
	for _, r := range recs {
		if r.Dir != "s2c" {
			continue
		}
		f, err := NewReader(bytes.NewReader(r.bytes(t)), Limits{}).ReadFrame()
		if err != nil || !f.IsEvent() {
			continue
		}
		if ev, err := ParseEvent(f); err == nil && ev.Name() == name {
			return ev
		}
	}
	t.Fatalf("no recorded %s", name)
	return nil
}

func TestClientRecordedAPI(t *testing.T)     { driveRecorded(t, "02-inbound-api.jsonl", "api") }
func TestClientRecordedSendmsg(t *testing.T) { driveRecorded(t, "04-inbound-sendmsg.jsonl", "ctl") }
