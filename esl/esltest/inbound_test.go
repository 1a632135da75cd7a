package esltest

import (
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
)

func TestAuth(t *testing.T) {
	sw := NewSwitch(t)
	c := dialSwitch(t, sw, false)
	if f := c.cmd("api status"); f.ReplyText() != "-ERR command not found" {
		t.Fatalf("before auth: %q", f.ReplyText())
	}
	if f := c.cmd("auth WrongPassword"); f.ReplyText() != "-ERR invalid" {
		t.Fatalf("wrong password: %q", f.ReplyText())
	}
	c.expectGoodbye()
	c.expectClosed()

	c = dialSwitch(t, sw, false)
	c.nc.Write([]byte("auth ClueCon\r\n\r\napi version\r\n\r\nevent plain CHANNEL_CREATE\n\n"))
	if f := c.reply(); f.ReplyText() != "+OK accepted" {
		t.Fatalf("crlf auth: %q", f.ReplyText())
	}
	if f := c.reply(); string(f.Body) != versionText {
		t.Fatalf("version: %q", f.Body)
	}
	if f := c.reply(); f.ReplyText() != "+OK event listener enabled plain" {
		t.Fatalf("event: %q", f.ReplyText())
	}
	if f := c.cmd("exit"); f.ReplyText() != "+OK bye" {
		t.Fatalf("exit: %q", f.ReplyText())
	}
	c.expectGoodbye()
	c.expectClosed()

	c = dialSwitch(t, sw, false)
	if f := c.cmd("userauth fsstar@default:ClueCon"); f.ReplyText() != "+OK accepted" {
		t.Fatalf("userauth: %q", f.ReplyText())
	}
}

func TestBgapi(t *testing.T) {
	sw := NewSwitch(t)
	c := dialSwitch(t, sw, true)
	c.cmd("event plain BACKGROUND_JOB")
	c.send("bgapi version", esl.Headers{{Name: "Job-UUID", Value: "f35182b5-3d47-4cb1-9649-0dd6cfd4d88d"}}, nil)
	f := c.reply()
	if f.ReplyText() != "+OK Job-UUID: f35182b5-3d47-4cb1-9649-0dd6cfd4d88d" || f.Headers.Get("Job-UUID") != "f35182b5-3d47-4cb1-9649-0dd6cfd4d88d" {
		t.Fatalf("bgapi reply: %v", f.Headers)
	}
	ev := c.waitEvent(named("BACKGROUND_JOB"))
	if ev.Get("Job-UUID") != "f35182b5-3d47-4cb1-9649-0dd6cfd4d88d" || string(ev.Body) != versionText || ev.Get("Job-Command") != "version" {
		t.Fatalf("BACKGROUND_JOB: %s", ev)
	}
	c.cmd("bgapi nosuchcommand x")
	ev = c.waitEvent(named("BACKGROUND_JOB"))
	if string(ev.Body) != "-ERR nosuchcommand Command not found!\n" || ev.Get("Job-Command-Arg") != "x" {
		t.Fatalf("BACKGROUND_JOB: %s", ev)
	}
}

func TestEventFormatsAndFilters(t *testing.T) {
	sw := NewSwitch(t)
	for _, format := range []string{"plain", "json", "xml"} {
		t.Run(format, func(t *testing.T) {
			c := dialSwitch(t, sw, true)
			if f := c.cmd("event " + format + " CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE CUSTOM fsstar::demo"); f.ReplyText() != "+OK event listener enabled "+format {
				t.Fatalf("event: %q", f.ReplyText())
			}
			id := uuidOf(c.api("originate {origination_uuid=11111111-2222-3333-4444-55555555555" + format[:1] + ",fsstar_utf8_var='café ✓'}loopback/park/fsstar &park"))
			ev := c.waitEvent(func(ev *esl.Event) bool { return ev.Name() == "CHANNEL_CREATE" && ev.UniqueID() == id })
			if ev.Variable("fsstar_utf8_var") != "café ✓" || ev.Get("Channel-Name") != "loopback/park-a" {
				t.Fatalf("CHANNEL_CREATE: %s", ev)
			}
			c.send("sendevent CUSTOM", esl.Headers{{Name: "Event-Subclass", Value: "fsstar::demo"}, {Name: "fsstar-header", Value: "hello world"}}, []byte("line one\n"))
			f := c.reply()
			if !strings.HasPrefix(f.ReplyText(), "+OK ") {
				t.Fatalf("sendevent: %q", f.ReplyText())
			}
			ev = c.waitEvent(named("CUSTOM"))
			if ev.Get("Event-UUID") != strings.TrimPrefix(f.ReplyText(), "+OK ") || string(ev.Body) != "line one\n" || ev.Get("fsstar-header") != "hello world" {
				t.Fatalf("CUSTOM: %s", ev)
			}
			if out := c.api("uuid_kill " + id); out != "+OK\n" {
				t.Fatalf("uuid_kill: %q", out)
			}
			ev = c.waitEvent(func(ev *esl.Event) bool { return ev.Name() == "CHANNEL_HANGUP_COMPLETE" && ev.UniqueID() == id })
			if got := ev.Headers.Values("Hangup-Cause"); len(got) != 2 || got[0] != "NORMAL_CLEARING" {
				t.Fatalf("Hangup-Cause: %v", got)
			}
		})
	}

	c := dialSwitch(t, sw, true)
	c.cmd("event plain CHANNEL_CREATE")
	if f := c.cmd("filter Unique-ID 99999999-0000-0000-0000-000000000001"); f.ReplyText() != "+OK filter added. [Unique-ID]=[99999999-0000-0000-0000-000000000001]" {
		t.Fatalf("filter: %q", f.ReplyText())
	}
	c.api("originate {origination_uuid=99999999-0000-0000-0000-000000000002}loopback/park/fsstar &park")
	c.api("originate {origination_uuid=99999999-0000-0000-0000-000000000001}user/1000 &park")
	ev := c.waitEvent(named("CHANNEL_CREATE"))
	if ev.UniqueID() != "99999999-0000-0000-0000-000000000001" {
		t.Fatalf("filter let through %s", ev.UniqueID())
	}
	if f := c.cmd("filter delete all"); f.ReplyText() != "+OK filter deleted. [all][]" {
		t.Fatalf("filter delete: %q", f.ReplyText())
	}
	for _, tc := range [][2]string{
		{"event plain NOT_AN_EVENT", "-ERR no keywords supplied"},
		{"nixevent CHANNEL_CREATE", "+OK events nixed"},
		{"noevents", "+OK no longer listening for events"},
		{"noevents", "-ERR not listening for events"},
		{"linger", "-ERR not controlling a session"},
		{"myevents", "-ERR command not found"},
		{"myevents 00000000-0000-0000-0000-000000000000", "+OK Events Enabled"},
		{"getvar foo", "-ERR command not found"},
		{"log 7", "+OK log level 7 [7]"},
		{"nolog", "+OK no longer logging"},
	} {
		if f := c.cmd(tc[0]); f.ReplyText() != tc[1] {
			t.Errorf("%s: got %q, want %q", tc[0], f.ReplyText(), tc[1])
		}
	}
}

func TestSendmsgExecute(t *testing.T) {
	sw := NewSwitch(t)
	c := dialSwitch(t, sw, true)
	c.cmd("event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE DTMF PLAYBACK_START PLAYBACK_STOP")
	id := uuidOf(c.api("originate {origination_uuid=f40f85fb-b930-4dec-8d5f-e14b0968f077}loopback/park/fsstar &park"))
	c.send("sendmsg "+id, esl.Headers{
		{Name: "call-command", Value: "execute"}, {Name: "execute-app-name", Value: "playback"},
		{Name: "execute-app-arg", Value: "tone_stream://%(200,100,440);loops=2"},
		{Name: "event-lock", Value: "true"}, {Name: "Event-UUID", Value: "9d906033-2aa3-48ee-a57a-cb60e3e521e8"},
	}, nil)
	if f := c.reply(); f.ReplyText() != "+OK" {
		t.Fatalf("sendmsg: %q", f.ReplyText())
	}
	ev := c.waitEvent(func(ev *esl.Event) bool {
		return ev.Name() == "CHANNEL_EXECUTE_COMPLETE" && ev.Get("Application-UUID") == "9d906033-2aa3-48ee-a57a-cb60e3e521e8"
	})
	if ev.Get("Application-Response") != "FILE PLAYED" || ev.Variable("playback_ms") != "600" {
		t.Fatalf("complete: %s", ev)
	}
	// Body as the argument; pagd collecting injected DTMF.
	c.send("sendmsg "+id, esl.Headers{{Name: "call-command", Value: "execute"}, {Name: "execute-app-name", Value: "play_and_get_digits"},
		{Name: "Event-UUID", Value: "pagd-1"}, {Name: "content-type", Value: "text/plain"}},
		[]byte("2 2 3 8000 # silence_stream://250 silence_stream://100 my_digits \\d+"))
	c.reply()
	c.waitEvent(namedApp("CHANNEL_EXECUTE", "play_and_get_digits"))
	ch := sw.Channel(id)
	ch.SendDTMF("4#") // too short: retried
	ch.SendDTMFAfter(500e6, "42")
	ev = c.waitEvent(namedApp("CHANNEL_EXECUTE_COMPLETE", "play_and_get_digits"))
	if ev.Variable("my_digits") != "42" || ev.Variable("read_result") != "success" || ev.Get("Application-UUID") != "pagd-1" {
		t.Fatalf("pagd: %s", ev)
	}
	// An endless tone stopped by uuid_break.
	c.send("sendmsg "+id, esl.Headers{{Name: "call-command", Value: "execute"}, {Name: "execute-app-name", Value: "playback"},
		{Name: "execute-app-arg", Value: "tone_stream://%(1000,0,440);loops=-1"}}, nil)
	c.reply()
	endless := func(name string) func(*esl.Event) bool {
		return func(ev *esl.Event) bool {
			return ev.Name() == name && strings.HasSuffix(ev.Get("Playback-File-Path"), "loops=-1")
		}
	}
	c.waitEvent(endless("PLAYBACK_START"))
	if out := c.api("uuid_fileman " + id + " pause"); out != "+OK\n" {
		t.Fatalf("uuid_fileman: %q", out)
	}
	if out := c.api("uuid_break " + id); out != "+OK\n" {
		t.Fatalf("uuid_break: %q", out)
	}
	if got := strings.Join(ch.MediaCommands(), ","); got != "fileman pause,break" {
		t.Fatalf("MediaCommands: %q", got)
	}
	if ev := c.waitEvent(endless("PLAYBACK_STOP")); ev.Get("Playback-Status") != "break" {
		t.Fatalf("PLAYBACK_STOP: %s", ev)
	}
	c.send("sendmsg 00000000-0000-0000-0000-000000000000", esl.Headers{{Name: "call-command", Value: "execute"}, {Name: "execute-app-name", Value: "answer"}}, nil)
	if f := c.reply(); f.ReplyText() != "-ERR invalid session id [00000000-0000-0000-0000-000000000000]" {
		t.Fatalf("bad uuid: %q", f.ReplyText())
	}
	c.send("sendmsg "+id, esl.Headers{{Name: "call-command", Value: "hangup"}, {Name: "hangup-cause", Value: "USER_BUSY"}}, nil)
	c.reply()
	if cause, _ := ch.WaitHangup(t.Context()); cause != "USER_BUSY" {
		t.Fatalf("cause %q", cause)
	}
	var names []string
	for _, a := range ch.Apps() {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, " "); got != "playback play_and_get_digits playback park" {
		t.Fatalf("apps: %s", got)
	}
}

// TestFilemanPause checks that uuid_fileman pause stops the media's clock
// until the next pause, as the switch's file handle pause flag does.
func TestFilemanPause(t *testing.T) {
	sw := NewSwitch(t)
	c := dialSwitch(t, sw, true)
	c.cmd("event plain PLAYBACK_START PLAYBACK_STOP")
	id := uuidOf(c.api("originate {origination_uuid=0b1e6c1e-3c53-4e4f-9a0e-6f3d1d4e5a01}loopback/park/fsstar &park"))
	c.send("sendmsg "+id, esl.Headers{
		{Name: "call-command", Value: "execute"}, {Name: "execute-app-name", Value: "playback"},
		{Name: "execute-app-arg", Value: "tone_stream://%(1000,0,440)"}, // 10 ms of real time
	}, nil)
	c.reply()
	c.waitEvent(named("PLAYBACK_START"))
	if out := c.api("uuid_fileman " + id + " pause"); out != "+OK\n" {
		t.Fatalf("uuid_fileman: %q", out)
	}
	time.Sleep(300 * time.Millisecond) // 30 simulated seconds
	for _, a := range sw.Channel(id).Apps() {
		if a.Name == "playback" {
			t.Fatalf("paused media ended: %+v", a)
		}
	}
	if out := c.api("uuid_fileman " + id + " pause"); out != "+OK\n" {
		t.Fatalf("uuid_fileman: %q", out)
	}
	if ev := c.waitEvent(named("PLAYBACK_STOP")); ev.Get("Playback-Status") != "done" {
		t.Fatalf("PLAYBACK_STOP: %s", ev)
	}
	if got := strings.Join(sw.Channel(id).MediaCommands(), ","); got != "fileman pause,fileman pause" {
		t.Fatalf("MediaCommands %q", got)
	}
}
