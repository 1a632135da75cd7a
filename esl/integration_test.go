package esl_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
)

// TestOutboundCallOnSimulatedSwitch is the raw Go outbound handler of
// issue 2: the simulated switch places a call into an esl.Server, whose
// handler answers, plays a tone, collects digits with play_and_get_digits,
// sets a variable and hangs up.
func TestOutboundCallOnSimulatedSwitch(t *testing.T) {
	sw := esltest.NewSwitch(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	prompting := make(chan struct{})
	result := make(chan error, 1)
	srv := &esl.Server{Handler: esl.HandlerFunc(func(ctx context.Context, c *esl.Conn) {
		result <- func() error {
			if c.Variable("fsstar_app") != "raw.demo" {
				return errors.New("channel data lacks variable_fsstar_app=raw.demo: " + c.Variable("fsstar_app"))
			}
			if _, err := c.Execute(ctx, "answer", ""); err != nil {
				return err
			}
			done, err := c.Execute(ctx, "playback", "tone_stream://%(200,100,440);loops=2")
			if err != nil {
				return err
			}
			if done.Get("Application") != "playback" || done.Get("Application-Response") != "FILE PLAYED" {
				return errors.New("playback completion: " + done.Get("Application") + " " + done.Get("Application-Response"))
			}
			close(prompting)
			done, err = c.Execute(ctx, "play_and_get_digits", `1 4 3 5000 # tone_stream://%(100,0,350) silence_stream://100 choice \d+`)
			if err != nil {
				return err
			}
			choice := done.Variable("choice")
			if err := c.SetVar(ctx, "menu_choice", choice); err != nil {
				return err
			}
			if v, ok, err := c.GetVar(ctx, "menu_choice"); err != nil || !ok || v != choice {
				return errors.New("getvar after setvar: " + v)
			}
			return c.Hangup(ctx, "NORMAL_CLEARING")
		}()
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ch, err := sw.PlaceCall(ctx, l.Addr().String(), map[string]string{"fsstar_app": "raw.demo"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-prompting:
		// During the prompt of play_and_get_digits (the next app): digits
		// sent between commands are dropped by the socket's park, as on
		// the switch.
		ch.WhenApp("play_and_get_digits", func() { ch.SendDTMF("42#") })
	case err := <-result:
		t.Fatalf("handler ended before the prompt: %v", err)
	case <-ctx.Done():
		t.Fatal("handler never reached the prompt")
	}
	if err := <-result; err != nil {
		t.Fatalf("handler: %v", err)
	}
	cause, err := ch.WaitHangup(ctx)
	if err != nil || cause != "NORMAL_CLEARING" {
		t.Fatalf("hangup cause %q, %v; want NORMAL_CLEARING", cause, err)
	}
	if got := ch.Var("menu_choice"); got != "42" {
		t.Errorf("menu_choice = %q, want 42", got)
	}
	var apps []string
	for _, a := range ch.Apps() {
		apps = append(apps, a.Name)
	}
	if got, want := strings.Join(apps, " "), "answer playback play_and_get_digits"; !strings.HasPrefix(got, want) {
		t.Errorf("apps run = %q, want %q first", got, want)
	}
	if !ch.Answered() {
		t.Error("channel never answered")
	}
}

// TestInboundControlOnSimulatedSwitch is the inbound half of issue 2: a
// client originates a call, follows its events, and controls it with
// sendmsg and uuid_* commands.
func TestInboundControlOnSimulatedSwitch(t *testing.T) {
	sw := esltest.NewSwitch(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := esl.Dial(ctx, sw.Addr(), esl.WithPassword(sw.Password()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	const id = "5b3a8f3e-0000-4000-8000-000000000001"
	events := c.Listen(esl.Match{UUID: id})
	defer events.Close()
	if err := c.Subscribe(ctx, "CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "DTMF"); err != nil {
		t.Fatal(err)
	}
	job, err := c.BgAPI(ctx, "originate {origination_uuid="+id+",origination_caller_id_number=1000}user/1000 &park")
	if err != nil {
		t.Fatal(err)
	}
	if body := string(job.Body); !strings.HasPrefix(body, "+OK "+id) {
		t.Fatalf("originate result %q, want +OK %s", body, id)
	}
	next := func(want string) *esl.Event {
		t.Helper()
		for {
			ev, err := events.Next(ctx)
			if err != nil {
				t.Fatalf("waiting for %s: %v", want, err)
			}
			if ev.Name() == want {
				return ev
			}
		}
	}
	next("CHANNEL_CREATE")
	next("CHANNEL_ANSWER")

	done, err := c.Execute(ctx, id, "playback", "silence_stream://200", esl.ExecuteOptions{EventLock: true})
	if err != nil {
		t.Fatal(err)
	}
	if done.UniqueID() != id || done.Get("Application") != "playback" {
		t.Errorf("execute completion for %s/%s, want %s/playback", done.UniqueID(), done.Get("Application"), id)
	}
	if _, err := c.API(ctx, "uuid_setvar "+id+" fsstar_state menu"); err != nil {
		t.Fatal(err)
	}
	if v, err := c.API(ctx, "uuid_getvar "+id+" fsstar_state"); err != nil || v != "menu" {
		t.Errorf("uuid_getvar = %q, %v; want menu", v, err)
	}
	if v, err := c.API(ctx, "uuid_getvar "+id+" no_such_var"); err != nil || v != "_undef_" {
		t.Errorf("uuid_getvar of an unset variable = %q, %v; want _undef_", v, err)
	}
	if _, err := c.API(ctx, "uuid_recv_dtmf "+id+" 7"); err != nil {
		t.Fatal(err)
	}
	if d := next("DTMF"); d.Get("DTMF-Digit") != "7" {
		t.Errorf("DTMF digit %q, want 7", d.Get("DTMF-Digit"))
	}
	var cmdErr *esl.CommandError
	if _, err := c.API(ctx, "uuid_kill 00000000-dead-beef-0000-000000000000"); !errors.As(err, &cmdErr) {
		t.Errorf("uuid_kill of a missing channel: err = %v, want *esl.CommandError", err)
	}
	if err := c.Hangup(ctx, id, "USER_BUSY"); err != nil {
		t.Fatal(err)
	}
	if h := next("CHANNEL_HANGUP"); h.Get("Hangup-Cause") != "USER_BUSY" {
		t.Errorf("Hangup-Cause %q, want USER_BUSY", h.Get("Hangup-Cause"))
	}
	next("CHANNEL_HANGUP_COMPLETE")
	if ch := sw.Channel(id); ch == nil || ch.HangupCause() != "USER_BUSY" {
		t.Errorf("switch-side channel %v, want hung up with USER_BUSY", ch)
	}
	if _, err := c.Execute(ctx, id, "playback", "silence_stream://200", esl.ExecuteOptions{}); err == nil {
		t.Error("execute on a hung-up channel succeeded")
	}
}

// TestNewClientStartsBeforeTheSwitch: a client made with NewClient while
// nothing listens fails commands at once with ErrConnLost, keeps the
// subscription asked for meanwhile, and works once the switch is up.
func TestNewClientStartsBeforeTheSwitch(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now

	connected := make(chan struct{}, 4)
	c := esl.NewClient(addr, esl.WithReconnect(esl.ReconnectPolicy{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}),
		esl.WithStateHook(func(s esl.State, err error) {
			if s == esl.StateConnected {
				connected <- struct{}{}
			}
		}))
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.API(ctx, "status"); !errors.Is(err, esl.ErrConnLost) {
		t.Fatalf("API before the switch is up: err = %v, want ErrConnLost", err)
	}
	if err := c.Subscribe(ctx, "CUSTOM", "fsstar::early"); !errors.Is(err, esl.ErrConnLost) {
		t.Fatalf("Subscribe before the switch is up: err = %v, want ErrConnLost (recorded for later)", err)
	}
	sub := c.Listen(esl.Match{Names: []string{"fsstar::early"}})
	defer sub.Close()

	sw := esltest.NewSwitch(t, esltest.WithListenAddr(addr))
	select {
	case <-connected:
	case <-ctx.Done():
		t.Fatal("never connected once the switch was up")
	}
	if out, err := c.API(ctx, "status"); err != nil || !strings.Contains(out, "is ready") {
		t.Fatalf("API once connected = %q, %v", out, err)
	}
	ev := esl.NewEvent("CUSTOM", "fsstar::early")
	if _, err := c.SendEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	got, err := sub.Next(ctx)
	if err != nil || got.Subclass() != "fsstar::early" {
		t.Fatalf("event through the subscription recorded before connecting: %v, %v", got, err)
	}
	if s := c.Stats(); !s.Connected || s.Reconnects != 0 {
		t.Errorf("stats %+v: want connected with no reconnects counted for the first connection", s)
	}
	_ = sw
}

// TestOutboundUnsubscribe checks that Conn.Unsubscribe sends nixevent for
// what was subscribed (and nothing else), and that the switch then stops
// sending those events.
func TestOutboundUnsubscribe(t *testing.T) {
	sw := esltest.NewSwitch(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	result := make(chan error, 1)
	ready := make(chan *esl.Subscription)
	next := make(chan struct{})
	srv := &esl.Server{Handler: esl.HandlerFunc(func(ctx context.Context, c *esl.Conn) {
		result <- func() error {
			if c.Subscribed("DTMF") {
				return errors.New("DTMF subscribed before Subscribe")
			}
			sub, err := c.DTMF(ctx)
			if err != nil {
				return err
			}
			if !c.Subscribed("DTMF") || !c.Subscribed("CHANNEL_HANGUP") {
				return errors.New("Subscribed is false after Subscribe")
			}
			ready <- sub
			<-next
			if err := c.Unsubscribe(ctx, "DTMF", "NOT_SUBSCRIBED"); err != nil {
				return err
			}
			if c.Subscribed("DTMF") {
				return errors.New("DTMF still subscribed after Unsubscribe")
			}
			ready <- sub
			<-next
			return nil
		}()
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	ch, err := sw.PlaceCall(ctx, l.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sub := <-ready
	ch.SendDTMF("1")
	if ev, err := sub.Next(ctx); err != nil || ev.Get("DTMF-Digit") != "1" {
		t.Fatalf("DTMF while subscribed: %v %v", ev, err)
	}
	next <- struct{}{}
	<-ready
	ch.SendDTMF("2")
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancelShort()
	if ev, err := sub.Next(short); err == nil {
		t.Fatalf("DTMF after Unsubscribe: %v", ev)
	}
	next <- struct{}{}
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	ch.Hangup("")
}
