package builtins

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConsoleLog(t *testing.T) {
	var buf bytes.Buffer
	call := newCall(t)
	call.Logger = bufLogger(&buf)
	_, err := run(t, Options{}, call, `
freeswitch.consoleLog("info", "hello\n")
freeswitch.consoleLog("ERR", "bad thing")
freeswitch.consoleLog("warning", "careful")
freeswitch.consoleLog("7", "by number")
freeswitch.consoleLog(level="crit", msg="kw")
freeswitch.consoleCleanLog("clean line\n")
freeswitch.consoleLog("warn", "unknown level")
freeswitch.consoleLog("8", "out of range")
freeswitch.consoleLog2("info", "ivr.star", "menu", 12, "placed")
freeswitch.console_log("notice", "snake")
freeswitch.console_clean_log("clean snake")
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`[INFO]  hello: module=ivr.main uuid=u-1 fs_level=info`,
		`[ERROR] bad thing: module=ivr.main uuid=u-1 fs_level=err`,
		`[WARN]  careful: module=ivr.main uuid=u-1 fs_level=warning`,
		`[DEBUG] by number: module=ivr.main uuid=u-1 fs_level=debug`,
		`[ERROR] kw: module=ivr.main uuid=u-1 fs_level=crit`,
		`[DEBUG] clean line: module=ivr.main uuid=u-1 fs_level=debug clean=true`,
		// An unknown level is debug, as the switch's switch_log_str2level.
		`[DEBUG] unknown level: module=ivr.main uuid=u-1 fs_level=debug`,
		`[DEBUG] out of range: module=ivr.main uuid=u-1 fs_level=debug`,
		`[INFO]  ivr.star:12 menu() placed: module=ivr.main uuid=u-1 fs_level=info`,
		`[INFO]  snake: module=ivr.main uuid=u-1 fs_level=notice`,
		`[DEBUG] clean snake: module=ivr.main uuid=u-1 fs_level=debug clean=true`,
	}
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log:\n%s\nwant:\n%s", buf.String(), strings.Join(want, "\n"))
	}
}

func TestConsoleLogErrors(t *testing.T) {
	runCases(t, Options{}, []scriptCase{
		{name: "missing msg", src: `freeswitch.consoleLog("info")`, wantErr: `freeswitch.consoleLog: missing argument for msg`},
		{name: "msg not a string", src: `freeswitch.consoleLog("info", 3)`, wantErr: `freeswitch.consoleLog: for parameter msg: got int, want string`},
		{name: "clean extra arg", src: `freeswitch.consoleCleanLog("a", "b")`, wantErr: `freeswitch.consoleCleanLog: got 2 arguments, want at most 1`},
		{name: "no call is fine", src: `result = freeswitch.consoleLog("info", "x")`, want: `None`},
	})
}

func TestConsoleLogForwardsToSwitch(t *testing.T) {
	var buf bytes.Buffer
	type line struct {
		level, msg string
		clean      bool
	}
	var got []line
	call := newCall(t)
	call.Logger = bufLogger(&buf)
	call.SwitchLog = func(ctx context.Context, level, msg string, clean bool) error {
		got = append(got, line{level, msg, clean})
		if level == "alert" {
			return errors.New("connection lost")
		}
		return nil
	}
	if _, err := run(t, Options{}, call, `
freeswitch.consoleLog("NOTICE", "n\n")
freeswitch.consoleLog("alert", "a")
freeswitch.consoleCleanLog("c")
`); err != nil {
		t.Fatalf("a failing forward must not fail the script: %v", err)
	}
	want := []line{{"notice", "n\n", false}, {"alert", "a", false}, {"debug", "c", true}}
	if len(got) != len(want) {
		t.Fatalf("forwarded %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("forwarded %v, want %v", got, want)
		}
	}
	if !strings.Contains(buf.String(), `[WARN]  could not forward a log line to the switch: module=ivr.main uuid=u-1 error="connection lost"`) {
		t.Fatalf("forward failure not logged:\n%s", buf.String())
	}
}

func TestMsleep(t *testing.T) {
	start := time.Now()
	if _, err := run(t, Options{}, newCall(t), `freeswitch.msleep(30)`); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("msleep(30) returned after %v", d)
	}
	runCases(t, Options{}, []scriptCase{
		{name: "zero", src: `result = freeswitch.msleep(0)`, want: `None`},
		{name: "negative", src: `freeswitch.msleep(-1)`, wantErr: `freeswitch.msleep: -1 ms is out of range (0 to 86400000)`},
		{name: "too long", src: `freeswitch.msleep(86400001)`, wantErr: `freeswitch.msleep: 86400001 ms is out of range`},
		{name: "not int", src: `freeswitch.msleep("10")`, wantErr: `freeswitch.msleep: for parameter ms: got string, want int`},
		{name: "kw", src: `result = freeswitch.msleep(ms=1)`, want: `None`},
	})
}

func TestMsleepCancelled(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	call := &Call{Context: ctx}
	time.AfterFunc(20*time.Millisecond, func() { cancel(errors.New("the call hung up")) })
	start := time.Now()
	_, err := run(t, Options{}, call, `freeswitch.msleep(60000)`)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("msleep returned after %v, want promptly after cancel", d)
	}
	if err == nil || !strings.Contains(err.Error(), "freeswitch.msleep: interrupted: the call hung up") {
		t.Fatalf("got %v, want the cancel cause", err)
	}
	// Already cancelled: returns at once.
	start = time.Now()
	_, err = run(t, Options{}, call, `freeswitch.msleep(60000)`)
	if err == nil || time.Since(start) > time.Second {
		t.Fatalf("msleep on an ended call: %v after %v", err, time.Since(start))
	}
}
