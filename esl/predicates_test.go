package esl_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
)

// TestReplyPredicates: IsNoSuchChannel, IsNoReply and IsCommandNotFound
// tell the switch's answers apart, and only the switch's: an error of ours
// with the same words is none of them.
func TestReplyPredicates(t *testing.T) {
	sw := esltest.NewSwitch(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := esl.Dial(ctx, sw.Addr(), esl.WithPassword(sw.Password()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const gone = "7f4de4bc-17d7-11ee-8b3a-2b2f0a9c4d11"
	errOf := func(f func() error) error {
		t.Helper()
		err := f()
		if _, ok := errors.AsType[*esl.CommandError](err); !ok {
			t.Fatalf("err = %v, want a *esl.CommandError", err)
		}
		return err
	}
	api := func(cmd string) func() error {
		return func() error { _, err := c.API(ctx, cmd); return err }
	}
	noSuchChannel := errOf(api("uuid_kill " + gone))
	invalidSession := errOf(func() error {
		var h esl.Headers
		h.Set("call-command", "hangup")
		return c.SendMsg(ctx, gone, h, nil)
	})
	noReply := errOf(api("eval ${not_set_anywhere}"))
	notFound := errOf(api("no_such_api now"))
	usage := errOf(api("uuid_kill"))
	for _, c := range []struct {
		name              string
		err               error
		gone, none, nocmd bool
	}{
		{"uuid_kill of a gone channel", noSuchChannel, true, false, false},
		{"sendmsg to a gone channel", invalidSession, true, false, false},
		{"an api that printed nothing", noReply, false, true, false},
		{"an api the switch lacks", notFound, false, false, true},
		{"a usage error", usage, false, false, false},
		{"wrapped", fmt.Errorf("hangup: %w", noSuchChannel), true, false, false},
		{"our own text", errors.New("esl: uuid_kill x: -ERR No such channel!"), false, false, false},
		{"our own no reply", errors.New("-ERR no reply"), false, false, false},
		{"nil", nil, false, false, false},
	} {
		if got := esl.IsNoSuchChannel(c.err); got != c.gone {
			t.Errorf("%s: IsNoSuchChannel(%v) = %v", c.name, c.err, got)
		}
		if got := esl.IsNoReply(c.err); got != c.none {
			t.Errorf("%s: IsNoReply(%v) = %v", c.name, c.err, got)
		}
		if got := esl.IsCommandNotFound(c.err); got != c.nocmd {
			t.Errorf("%s: IsCommandNotFound(%v) = %v", c.name, c.err, got)
		}
	}
}

// TestIsEventName: the switch's event types, as "event" spells them.
func TestIsEventName(t *testing.T) {
	for name, want := range map[string]bool{
		"CHANNEL_ANSWER": true, "CUSTOM": true, "BACKGROUND_JOB": true, "SHUTDOWN_REQUESTED": true,
		"ALL": false, "channel_answer": false, "SWITCH_EVENT_DTMF": false, "CHANNEL_ANSWERED": false, "": false,
	} {
		if got := esl.IsEventName(name); got != want {
			t.Errorf("IsEventName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestParseLogLevel: FreeSWITCH's level names and numbers, as
// switch_log_str2level reads them.
func TestParseLogLevel(t *testing.T) {
	for s, want := range map[string]int{"console": 0, "ALERT": 1, "crit": 2, "Err": 3, "warning": 4, "notice": 5, "info": 6, "debug": 7, "0": 0, "7": 7} {
		if n, ok := esl.ParseLogLevel(s); !ok || n != want {
			t.Errorf("ParseLogLevel(%q) = %d, %v, want %d", s, n, ok, want)
		}
	}
	for _, s := range []string{"error", "warn", "8", "-1", "", "debugx"} {
		if n, ok := esl.ParseLogLevel(s); ok {
			t.Errorf("ParseLogLevel(%q) = %d, want not a level", s, n)
		}
	}
	for n := range 8 {
		if m, ok := esl.ParseLogLevel(esl.LogLevelName(n)); !ok || m != n {
			t.Errorf("LogLevelName(%d) = %q does not read back", n, esl.LogLevelName(n))
		}
	}
}
