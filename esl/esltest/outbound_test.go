package esltest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// outboundServer is a tiny raw outbound socket server: each accepted
// connection is handed to handle.
func outboundServer(t *testing.T, handle func(c *client)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				handle(newClient(t, nc))
			}()
		}
	}()
	return ln.Addr().String()
}

func execute(c *client, app, arg, id string) {
	c.send("sendmsg", esl.Headers{{Name: "call-command", Value: "execute"}, {Name: "execute-app-name", Value: app},
		{Name: "execute-app-arg", Value: arg}, {Name: "event-lock", Value: "true"}, {Name: "Event-UUID", Value: id}}, nil)
}

func TestPlaceCallAsyncFull(t *testing.T) {
	sw := NewSwitch(t)
	errs := make(chan string, 10)
	var ch *Channel
	ready := make(chan struct{})
	addr := outboundServer(t, func(c *client) {
		f := c.cmd("connect")
		if f.ContentType() != esl.TypeCommandReply || f.ReplyText() != "+OK\n" || f.Headers.Get("Socket-Mode") != "async" ||
			f.Headers.Get("Control") != "full" || f.Headers.Get("variable_fsstar_app") != "demo.hello::handler arg1" {
			errs <- "connect reply: " + f.ReplyText()
			return
		}
		id := f.Headers.Get("Unique-ID")
		for _, tc := range [][2]string{{"myevents", "+OK Events Enabled"}, {"linger", "+OK will linger"}, {"getvar fsstar_app", "demo.hello::handler arg1"}, {"getvar nope", "-ERR command not found"}} {
			if f := c.cmd(tc[0]); f.ReplyText() != tc[1] {
				errs <- tc[0] + ": " + f.ReplyText()
			}
		}
		if out := c.api("uuid_getvar " + id + " fsstar_app"); out != "demo.hello::handler arg1" {
			errs <- "api: " + out
		}
		execute(c, "answer", "", "a-1")
		c.reply()
		c.waitEvent(func(ev *esl.Event) bool {
			return ev.Get("Application-UUID") == "a-1" && ev.Name() == "CHANNEL_EXECUTE_COMPLETE"
		})
		execute(c, "play_and_get_digits", "1 1 1 8000 # tone_stream://%(100,100,350) silence_stream://250 fsstar_digit \\d", "p-1")
		c.reply()
		c.waitEvent(namedApp("CHANNEL_EXECUTE", "play_and_get_digits"))
		<-ready
		ch.SendDTMF("4")
		ev := c.waitEvent(func(ev *esl.Event) bool {
			return ev.Get("Application-UUID") == "p-1" && ev.Name() == "CHANNEL_EXECUTE_COMPLETE"
		})
		if ev.Variable("fsstar_digit") != "4" {
			errs <- "pagd: " + ev.String()
		}
		c.send("sendmsg", esl.Headers{{Name: "call-command", Value: "hangup"}, {Name: "hangup-cause", Value: "NORMAL_CLEARING"}}, nil)
		c.reply()
		c.waitEvent(named("CHANNEL_HANGUP_COMPLETE"))
		f = c.read()
		if f.ContentType() != esl.TypeDisconnectNotice || f.Headers.Get("Content-Disposition") != "linger" || f.Headers.Get("Controlled-Session-UUID") != id {
			errs <- "linger notice: " + f.ContentType()
		}
		if f := c.cmd("exit"); f.ReplyText() != "+OK bye" {
			errs <- "exit: " + f.ReplyText()
		}
		c.expectGoodbye()
		close(errs)
	})
	var err error
	ch, err = sw.PlaceCall(t.Context(), addr, map[string]string{"fsstar_app": "demo.hello::handler arg1"})
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	cause, err := ch.WaitHangup(ctxTimeout(t, 10*time.Second))
	if err != nil || cause != "NORMAL_CLEARING" {
		t.Fatalf("hangup: %q %v", cause, err)
	}
	for e := range errs {
		t.Error(e)
	}
	var names []string
	for _, a := range ch.Apps() {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, " "); got != "answer play_and_get_digits socket" {
		t.Fatalf("apps: %s", got)
	}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestPlaceCallStatic(t *testing.T) {
	sw := NewSwitch(t, WithTimeScale(0.2))
	errs := make(chan string, 10)
	addr := outboundServer(t, func(c *client) {
		defer close(errs)
		f := c.cmd("connect")
		if f.Headers.Get("Socket-Mode") != "static" || f.Headers.Get("Control") != "single-channel" {
			errs <- "connect: " + f.Headers.Get("Socket-Mode")
		}
		c.cmd("myevents")
		start := time.Now()
		execute(c, "playback", "tone_stream://%(200,100,440);loops=2", "s-1")
		c.reply()
		if d := time.Since(start); d < 100*time.Millisecond {
			errs <- "static sendmsg replied before the app ended: " + d.String()
		}
		for _, cmd := range []string{"api status", "bgapi status", "linger 2"} {
			if f := c.cmd(cmd); f.ReplyText() != "-ERR command not found" {
				errs <- cmd + ": " + f.ReplyText()
			}
		}
		c.send("sendmsg", esl.Headers{{Name: "call-command", Value: "hangup"}}, nil)
		c.reply()
		for {
			f := c.read()
			if f.ContentType() == esl.TypeDisconnectNotice {
				if f.Headers.Get("Content-Disposition") != "disconnect" || len(f.Body) != 67 {
					errs <- "notice: " + f.Headers.Get("Content-Disposition")
				}
				break
			}
		}
		c.expectClosed()
	})
	ch, err := sw.PlaceCall(t.Context(), addr, nil, Static())
	if err != nil {
		t.Fatal(err)
	}
	<-ch.Done()
	for e := range errs {
		t.Error(e)
	}
}

func TestLingerTimeoutAndRoute(t *testing.T) {
	sw := NewSwitch(t)
	addr := outboundServer(t, func(c *client) {
		c.cmd("connect")
		c.cmd("myevents")
		c.cmd("linger 2")
		execute(c, "answer", "", "x")
		c.reply()
		// A hangup message is not queued behind the execute: wait for the
		// answer, or the originate below may see the call end unanswered.
		c.waitEvent(func(ev *esl.Event) bool {
			return ev.Name() == "CHANNEL_EXECUTE_COMPLETE" && ev.Get("Application-UUID") == "x"
		})
		c.send("sendmsg", esl.Headers{{Name: "call-command", Value: "hangup"}}, nil)
		c.reply()
		for {
			f := c.read()
			if f.ContentType() == esl.TypeDisconnectNotice {
				if f.Headers.Get("Linger-Time") != "2" {
					t.Errorf("Linger-Time %q", f.Headers.Get("Linger-Time"))
				}
				break
			}
		}
		c.expectGoodbye()
		c.expectClosed()
	})
	sw.Route("socket_async", addr, map[string]string{"fsstar_app": "x"})
	ctl := dialSwitch(t, sw, true)
	out := ctl.api("originate {origination_uuid=220d7484-948a-4d47-be46-33fb681b58aa}loopback/socket_async/fsstar &park")
	if out != "+OK 220d7484-948a-4d47-be46-33fb681b58aa\n" {
		t.Fatalf("originate: %q", out)
	}
	if err := sw.WaitIdle(ctxTimeout(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if out := ctl.api("originate loopback/nosuchext/fsstar &park"); out != "-ERR NO_ROUTE_DESTINATION\n" {
		t.Fatalf("no route: %q", out)
	}
}

func TestManyCalls(t *testing.T) {
	sw := NewSwitch(t)
	addr := outboundServer(t, func(c *client) {
		c.cmd("connect")
		execute(c, "answer", "", "a")
		c.reply()
		execute(c, "playback", "silence_stream://500", "b")
		c.reply()
		c.send("sendmsg", esl.Headers{{Name: "call-command", Value: "hangup"}}, nil)
		c.reply()
		c.expectClosed()
	})
	// Its own deadline (liveness: 200 calls of 5 ms each), so that a call
	// that never ends fails the test rather than hanging it.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, err := sw.PlaceCall(ctx, addr, nil)
			if err != nil {
				t.Error(err)
				return
			}
			select {
			case <-ch.Done():
			case <-ctx.Done():
				t.Errorf("call %s did not end: %v", ch.UUID(), ctx.Err())
			}
		}()
	}
	wg.Wait()
	if n := len(sw.Channels()); n != 0 {
		t.Fatalf("%d channels left", n)
	}
}
