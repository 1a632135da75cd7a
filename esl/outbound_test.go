package esl

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// switchSide plays a switch whose socket application connects to our
// Server, answering with frames recorded from the real switch.
type switchSide struct {
	t    testing.TB
	nc   net.Conn
	rd   *Reader
	recs map[int][]byte // recorded switch frames by seq
}

func dialServer(t testing.TB, addr, file, conn string) *switchSide {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &switchSide{t: t, nc: nc, rd: NewReader(nc, Limits{}), recs: map[int][]byte{}}
	for _, r := range loadConn(t, file, conn) {
		if r.Dir == "s2c" {
			s.recs[r.Seq] = r.bytes(t)
		}
	}
	return s
}

// expect reads the next command and checks its line starts with prefix.
func (s *switchSide) expect(prefix string) *Command {
	_ = s.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	c, err := s.rd.ReadCommand()
	if err != nil {
		s.t.Errorf("switch: want %q, read error %v", prefix, err)
		return &Command{}
	}
	if !strings.HasPrefix(c.Line, prefix) {
		s.t.Errorf("switch: got command %q, want %q", c.Line, prefix)
	}
	return c
}

// handshake plays the switch's side of a call's start in async full mode:
// it answers connect with the recorded channel data (frame seq), expects
// the narrow subscription and linger the Server sends in one round trip,
// and accepts them.
func (s *switchSide) handshake(seq int) {
	s.expect("connect")
	s.frames("", seq)
	s.expect("filter")
	s.expect("event")
	s.expect("linger")
	s.reply("+OK filter added.")
	s.reply("+OK event listener enabled plain")
	s.reply("+OK will linger")
}

func (s *switchSide) send(b []byte) {
	if _, err := s.nc.Write(b); err != nil {
		s.t.Errorf("switch: write: %v", err)
	}
}

func (s *switchSide) reply(text string) {
	s.send([]byte("Content-Type: command/reply\nReply-Text: " + text + "\n\n"))
}

var appUUIDLine = regexp.MustCompile(`Application-UUID: ([0-9a-f-]{36})`)

// frames sends recorded frames, giving our Event-UUID to any recorded
// Application-UUID in them.
func (s *switchSide) frames(eventUUID string, seqs ...int) {
	for _, seq := range seqs {
		b, ok := s.recs[seq]
		if !ok {
			s.t.Fatalf("no recorded switch frame %d", seq)
		}
		if eventUUID != "" {
			if m := appUUIDLine.FindSubmatch(b); m != nil {
				b = replaceInFrame(s.t, b, m[1], []byte(eventUUID))
			}
		}
		s.send(b)
	}
}

// startServer runs a Server with h on a loopback port; it is shut down
// with the test.
func startServer(t testing.TB, srv *Server) string {
	t.Helper()
	l := listen(t)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-errc; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr().String()
}

const uuid05a = "5d92818d-3386-4066-b54b-8f95316fdab8"

// TestOutboundAsyncFull runs a call like 05a: narrow subscription with
// linger at connect, getvar, api, execute (answer, play_and_get_digits with
// its DTMF), hangup, the events after hangup, linger notice, exit.
func TestOutboundAsyncFull(t *testing.T) {
	type outcome struct {
		digit, cause string
		complete     bool
		err          error
	}
	res := make(chan outcome, 1)
	srv := &Server{Handler: HandlerFunc(func(ctx context.Context, c *Conn) {
		var o outcome
		defer func() { res <- o }()
		sub := c.Listen(Match{})
		defer sub.Close()
		if c.UUID() != uuid05a || !c.Async() || !c.Full() {
			t.Errorf("channel %s async=%v full=%v", c.UUID(), c.Async(), c.Full())
		}
		if got := c.Variable("fsstar_app"); got != "demo.hello::handler arg1 arg2" {
			t.Errorf("Variable(fsstar_app) = %q", got)
		}
		if v, ok, err := c.GetVar(ctx, "fsstar_app"); v != "demo.hello::handler arg1 arg2" || !ok || err != nil {
			t.Errorf("GetVar = %q %v %v", v, ok, err)
		}
		if v, ok, err := c.GetVar(ctx, "no_such_var"); v != "" || ok || err != nil {
			t.Errorf("GetVar(unset) = %q %v %v", v, ok, err)
		}
		if v, err := c.API(ctx, "uuid_getvar "+uuid05a+" fsstar_app"); v != "demo.hello::handler arg1 arg2" || err != nil {
			t.Errorf("API = %q %v", v, err)
		}
		if ev, err := c.Execute(ctx, "answer", ""); err != nil || ev.Get("Application") != "answer" {
			t.Fatalf("Execute(answer) = %v, %v", ev, err)
		}
		ev, err := c.Execute(ctx, "play_and_get_digits", `1 1 1 8000 # tone_stream://%(100,100,350) silence_stream://250 fsstar_digit \d`)
		if err != nil {
			t.Fatalf("Execute(play_and_get_digits): %v", err)
		}
		o.digit = ev.Variable("fsstar_digit")
		if err := c.Hangup(ctx, "NORMAL_CLEARING"); err != nil {
			t.Errorf("Hangup: %v", err)
		}
		<-ctx.Done()
		if herr, ok := errors.AsType[*HangupError](context.Cause(ctx)); ok {
			o.cause = herr.Cause
		}
		_, o.err = c.Execute(context.Background(), "answer", "")
		wctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for !o.complete {
			e, err := sub.Next(wctx)
			if err != nil {
				t.Errorf("waiting for CHANNEL_HANGUP_COMPLETE: %v", err)
				break
			}
			o.complete = e.Name() == "CHANNEL_HANGUP_COMPLETE"
		}
	})}
	addr := startServer(t, srv)
	sw := dialServer(t, addr, "05a-outbound-async-full.jsonl", "outbound")
	defer sw.nc.Close()
	sw.expect("connect")
	sw.frames("", 10)
	sw.expect("filter Unique-ID " + uuid05a)
	if c := sw.expect("event plain "); c.Line != "event plain CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE" {
		t.Errorf("subscription %q is not the narrow one", c.Line)
	}
	sw.expect("linger")
	sw.reply("+OK filter added. [Unique-ID]=[" + uuid05a + "]")
	sw.reply("+OK event listener enabled plain")
	sw.frames("", 15)
	sw.expect("getvar fsstar_app")
	sw.frames("", 17)
	sw.expect("getvar no_such_var")
	sw.frames("", 19)
	sw.expect("api uuid_getvar")
	sw.frames("", 21)
	c := sw.expect("sendmsg")
	if c.Line != "sendmsg" || c.Headers.Get("execute-app-name") != "answer" || c.Headers.Get("event-lock") != "true" {
		t.Errorf("execute answer sent as %q %v", c.Line, c.Headers)
	}
	sw.frames(c.Headers.Get("Event-UUID"), 23, 24, 25, 26, 27)
	c = sw.expect("sendmsg")
	sw.frames(c.Headers.Get("Event-UUID"), 34, 35, 39, 40)
	c = sw.expect("sendmsg")
	if c.Headers.Get("call-command") != "hangup" || c.Headers.Get("hangup-cause") != "NORMAL_CLEARING" {
		t.Errorf("hangup sent as %v", c.Headers)
	}
	sw.frames("", 49, 51, 52, 53, 54, 55, 56, 57, 58)
	sw.expect("exit")
	sw.frames("", 61, 62)
	sw.nc.Close()
	o := <-res
	if o.digit != "4" {
		t.Errorf("digit %q, want 4", o.digit)
	}
	if o.cause != "NORMAL_CLEARING" {
		t.Errorf("handler context cause: hangup cause %q", o.cause)
	}
	if !errors.Is(o.err, ErrHangup) {
		t.Errorf("Execute after hangup: %v, want ErrHangup", o.err)
	}
	if !o.complete {
		t.Error("CHANNEL_HANGUP_COMPLETE not delivered (linger)")
	}
}

// TestOutboundHangupDuringExecute: the call hangs up while playback runs;
// Execute returns the typed hangup error at once although the lingering
// socket stays open.
func TestOutboundHangupDuringExecute(t *testing.T) {
	errc := make(chan error, 1)
	srv := &Server{Handler: HandlerFunc(func(ctx context.Context, c *Conn) {
		_, err := c.Execute(ctx, "playback", "tone_stream://%(200,100,440);loops=2")
		errc <- err
	})}
	addr := startServer(t, srv)
	sw := dialServer(t, addr, "05a-outbound-async-full.jsonl", "outbound")
	defer sw.nc.Close()
	sw.handshake(10)
	c := sw.expect("sendmsg")
	sw.frames(c.Headers.Get("Event-UUID"), 29, 31, 51)
	select {
	case err := <-errc:
		herr, ok := errors.AsType[*HangupError](err)
		if !ok || herr.Cause != "NORMAL_CLEARING" || herr.UUID != uuid05a {
			t.Fatalf("Execute: %v, want *HangupError NORMAL_CLEARING", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Execute did not return after CHANNEL_HANGUP")
	}
	sw.expect("exit")
	sw.frames("", 61, 62)
}

// TestOutboundStatic runs a static single-channel socket like 05b: the
// subscription falls back to myevents, no linger, api is refused, and a
// hangup while a blocking sendmsg waits fails it with the hangup error.
func TestOutboundStatic(t *testing.T) {
	type outcome struct{ apiErr, execErr error }
	res := make(chan outcome, 1)
	srv := &Server{Handler: HandlerFunc(func(ctx context.Context, c *Conn) {
		var o outcome
		if c.Async() || c.Full() {
			t.Errorf("async=%v full=%v, want static single-channel", c.Async(), c.Full())
		}
		if _, err := c.Execute(ctx, "answer", ""); err != nil {
			t.Errorf("Execute(answer): %v", err)
		}
		_, o.apiErr = c.API(ctx, "uuid_getvar "+c.UUID()+" fsstar_app")
		_, o.execErr = c.Execute(ctx, "playback", "tone_stream://%(200,100,440);loops=2")
		res <- o
	})}
	addr := startServer(t, srv)
	sw := dialServer(t, addr, "05b-outbound-static.jsonl", "outbound2")
	defer sw.nc.Close()
	sw.expect("connect")
	sw.frames("", 42)
	sw.expect("myevents")
	sw.frames("", 44)
	c := sw.expect("sendmsg")
	sw.frames(c.Headers.Get("Event-UUID"), 46, 47, 48, 49)
	sw.expect("api ")
	sw.reply("-ERR command not found")
	sw.expect("sendmsg") // static: no reply until the app ends; it never does
	sw.frames("", 53, 54)
	sw.nc.Close()
	o := <-res
	if ce, ok := errors.AsType[*CommandError](o.apiErr); !ok || ce.Reply != "-ERR command not found" {
		t.Errorf("API in static mode: %v", o.apiErr)
	}
	if herr, ok := errors.AsType[*HangupError](o.execErr); !ok || herr.Cause != "NORMAL_CLEARING" {
		t.Errorf("Execute during hangup: %v, want *HangupError", o.execErr)
	}
}

// TestOutboundLingerTimeout follows 05c: after hangup the lingering socket
// still delivers CHANNEL_HANGUP_COMPLETE, then the switch closes it by
// itself; the handler sees the hangup and Close does not send exit.
func TestOutboundLingerTimeout(t *testing.T) {
	got := make(chan []string, 1)
	srv := &Server{Handler: HandlerFunc(func(ctx context.Context, c *Conn) {
		sub := c.Listen(Match{Names: []string{"CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"}})
		if _, err := c.Execute(ctx, "answer", ""); err != nil {
			t.Errorf("Execute: %v", err)
		}
		if err := c.Hangup(ctx, "NORMAL_CLEARING"); err != nil {
			t.Errorf("Hangup: %v", err)
		}
		var names []string
		for {
			ev, err := sub.Next(context.Background())
			if err != nil {
				if !errors.Is(err, ErrHangup) {
					t.Errorf("subscription ended with %v, want the hangup", err)
				}
				break
			}
			names = append(names, ev.Name())
		}
		got <- names
	})}
	addr := startServer(t, srv)
	sw := dialServer(t, addr, "05c-outbound-linger-timeout.jsonl", "outbound")
	defer sw.nc.Close()
	sw.handshake(7)
	c := sw.expect("sendmsg")
	sw.frames(c.Headers.Get("Event-UUID"), 13, 14, 15, 16, 17)
	sw.expect("sendmsg")
	sw.frames("", 19, 20, 21, 22, 23, 24, 25, 26, 27)
	sw.nc.Close()
	names := <-got
	if strings.Join(names, " ") != "CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE" {
		t.Errorf("events %v", names)
	}
}

// TestServerShutdown: Shutdown lets a call in flight run until its own
// deadline ends, then cancels the handler's context with ErrServerClosed,
// waits for it, and the lingering Conn says exit.
func TestServerShutdown(t *testing.T) {
	started := make(chan struct{})
	cause := make(chan error, 1)
	srv := &Server{Handler: HandlerFunc(func(ctx context.Context, c *Conn) {
		close(started)
		<-ctx.Done()
		cause <- context.Cause(ctx)
	})}
	l := listen(t)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	sw := dialServer(t, l.Addr().String(), "05a-outbound-async-full.jsonl", "outbound")
	defer sw.nc.Close()
	sw.handshake(10)
	<-started
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	select {
	case err := <-cause:
		t.Fatalf("handler cancelled (%v) before the drain deadline", err)
	case <-time.After(50 * time.Millisecond):
	}
	sw.expect("exit")
	sw.frames("", 61, 62)
	sw.nc.Close()
	if err := <-shut; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want context.DeadlineExceeded (the call outlived the drain)", err)
	}
	if err := <-cause; !errors.Is(err, ErrServerClosed) {
		t.Errorf("handler context cause %v, want ErrServerClosed", err)
	}
	if err := <-errc; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
}
