package tests

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// The text tests/testdata/scripts/sec/probe.star gives each method.
const probeTail = ` it's 'q' "d" C:\new a\\b \$ $x ^^, | = ; $${hold_music} \s end`

func probeText(method string) string {
	return "x${global_setvar(fsstar_probe_" + method + "=hit)}" + probeTail
}

// probeMethods name the global variable each probe would set if the
// switch evaluated it.
var probeMethods = []string{"record", "say", "speak", "readterms", "regex", "terms", "setvar", "setglobal", "transfer", "log", "dialvar", "static"}

// TestArgSafetySimulated runs the argument-safety probe against the
// simulated switch, which expands app data as the real one does: a
// regression fails here in every ordinary test run.
func TestArgSafetySimulated(t *testing.T) {
	sw := esltest.NewSwitch(t)
	runArgSafety(t, sw.Addr(), "ClueCon")
	// The only api command expansion ran is the control's.
	if diff := cmp.Diff([]string{"global_setvar fsstar_probe_control=hit"}, sw.Expansions()); diff != "" {
		t.Errorf("api commands run by expansion (-want +got):\n%s", diff)
	}
}

// TestArgSafetyFreeSWITCH runs the same probe on a real FreeSWITCH (the
// test switch of tools/freeswitch, whose fsstar_test context has the park
// extension): caller text given to every high-level method is never
// evaluated and arrives at the app byte for byte.
func TestArgSafetyFreeSWITCH(t *testing.T) {
	addr, pw := realSwitch(t)
	runArgSafety(t, addr, pw)
}

func runArgSafety(t *testing.T, addr, pw string) {
	s := startService(t, addr, pw)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := dialSwitch(ctx, t, addr, pw)
	for _, m := range append(probeMethods, "control", "global", "pagd") {
		if _, err := c.API(ctx, "global_setvar fsstar_probe_"+m+"="); err != nil {
			t.Fatal(err)
		}
	}
	rec := "/tmp/fsstar-probe " + probeText("record") + ".wav"
	os.Remove(rec)
	t.Cleanup(func() { os.Remove(rec) })

	id := uuid.NewString()
	events := c.Listen(esl.Match{UUID: id, Names: []string{"CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE"}, Buffer: 256})
	defer events.Close()
	if err := c.Subscribe(ctx, "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE"); err != nil {
		t.Fatal(err)
	}
	// The a-leg runs the socket app towards fsstar; the loopback b-leg
	// answers and parks.
	out, err := c.API(ctx, "originate {origination_uuid="+id+",fsstar_app=sec.probe}loopback/"+parkExt()+" &socket('"+s.listen+" async full')")
	if err != nil {
		t.Fatalf("originate: %q %v", out, err)
	}
	apps := map[string][]*esl.Event{}
	var hangup *esl.Event
	for hangup == nil {
		ev, err := events.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for the call's events: %v", err)
		}
		if ev.Name() == "CHANNEL_HANGUP_COMPLETE" {
			hangup = ev
			continue
		}
		apps[ev.Get("Application")] = append(apps[ev.Get("Application")], ev)
	}

	// No probe was evaluated; the control (execute) was.
	global := func(name string) string {
		t.Helper()
		v, err := c.API(ctx, "global_getvar "+name)
		if ce, ok := errors.AsType[*esl.CommandError](err); ok && strings.TrimSpace(ce.Reply) == "-ERR no reply" {
			return "" // what the switch answers for an unset variable
		}
		if err != nil {
			t.Fatalf("global_getvar %s: %v", name, err)
		}
		return v
	}
	for _, m := range probeMethods {
		if v := global("fsstar_probe_" + m); v != "" {
			t.Errorf("the %s probe was evaluated by the switch: fsstar_probe_%s=%q", m, m, v)
		}
	}
	if v := global("fsstar_probe_control"); v != "hit" {
		t.Errorf("control: execute() data was not expanded (fsstar_probe_control=%q): the probe cannot tell", v)
	}

	// What each app received, read back from its Application-Data.
	data := func(app string, i int) string {
		t.Helper()
		if len(apps[app]) <= i {
			t.Errorf("no run %d of %s; apps run: %v", i, app, appNames(apps))
			return ""
		}
		return apps[app][i].Get("Application-Data")
	}
	split := func(app string, i int, delim byte, n int) []string {
		return esltest.SeparateString(data(app, i), delim, n)
	}
	for _, tc := range []struct {
		what      string
		got, want any
	}{
		{"recordFile: record", split("record", 0, ' ', 4), []string{rec, "1", "0", "0"}},
		{"streamFile: playback", data("playback", 0), rec},
		{"say", split("say", 0, ' ', 5), []string{"en", "name_spelled", "iterated", probeText("say")}},
		{"sayPhrase: phrase", data("phrase", 0), "fsstar_probe,p" + strings.ReplaceAll(probeTail, "${", "$")},
		{"speak", data("speak", 0), "flite|kal|" + probeText("speak")},
		// read plays its prompt and collects from the DTMF events, as
		// switch_ivr_read: no read app, its terminators stay in fsstar.
		{"read: its prompt", data("playback", 1), rec},
		{"playAndGetDigits", split("play_and_get_digits", 0, ' ', 11), []string{"1", "1", "1", "1000", "#", rec, rec, "fsstar_probe_pagd", probeText("regex")}},
		// getDigits runs no app either (the keys come from the DTMF
		// events): its terminators never reach the switch.
		{"read and getDigits: no read app", len(apps["read"]), 0},
		{"setVariable", hangup.Get("variable_fsstar_probe_var"), probeText("setvar")},
		{"transfer: destination", hangup.Get("Caller-Destination-Number"), probeText("transfer")},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s received (-want +got):\n%s", tc.what, diff)
		}
	}
	// The switch stores globals with "${" disabled as "%{" (as under mod_lua).
	if v, want := global("fsstar_probe_global"), strings.ReplaceAll(probeText("setglobal"), "${", "%{"); v != want {
		t.Errorf("setGlobalVariable stored %q, want %q", v, want)
	}
	// The real switch writes the recording, under exactly that name.
	if isRealSwitch(addr) {
		if _, err := os.Stat(rec); err != nil {
			t.Errorf("recordFile: no file at the exact path: %v", err)
		}
		if r := apps["playback"][0].Get("Application-Response"); r != "FILE PLAYED" {
			t.Errorf("streamFile of the recording: %q, want FILE PLAYED", r)
		}
	}
	// Session(dial string) with dialVar values, and consoleLog.
	hangup = probeCall(ctx, t, c, s, "sec.probe::dial", parkExt(), "async full")
	for _, tc := range [][2]string{
		{hangup.Get("variable_fsstar_probe_leg_ready"), "True"},
		{hangup.Get("variable_fsstar_probe_leg_text"), "d" + strings.NewReplacer("${", "$", "}", ")").Replace(probeTail)},
		{hangup.Get("variable_fsstar_probe_leg_var"), ""}, // refused by the switch, not evaluated
	} {
		if tc[0] != tc[1] {
			t.Errorf("Session(dial string): got %q, want %q", tc[0], tc[1])
		}
	}
	// A socket without full control: setVariable through the set app.
	hangup = probeCall(ctx, t, c, s, "sec.probe::static", "", "")
	if v := hangup.Get("variable_fsstar_probe_static"); v != probeText("static") {
		t.Errorf("setVariable (static socket) stored %q, want %q", v, probeText("static"))
	}
	for _, m := range []string{"log", "dialvar", "static"} {
		if v := global("fsstar_probe_" + m); v != "" {
			t.Errorf("the %s probe was evaluated by the switch: fsstar_probe_%s=%q", m, m, v)
		}
	}
	if t.Failed() {
		for name, evs := range apps {
			for _, ev := range evs {
				t.Logf("%s %q", name, ev.Get("Application-Data"))
			}
		}
	}
}

// isRealSwitch reports whether addr is the real switch of
// FSSTAR_TEST_FREESWITCH.
func isRealSwitch(addr string) bool { return addr == os.Getenv("FSSTAR_TEST_FREESWITCH") }

func appNames(apps map[string][]*esl.Event) []string {
	var out []string
	for k := range apps {
		out = append(out, k)
	}
	return out
}

// probeCall places one call into fsstar running app (module::function)
// with args, in the socket mode given ("async full" or "" for static), and
// returns its CHANNEL_HANGUP_COMPLETE.
func probeCall(ctx context.Context, t *testing.T, c *esl.Client, s *service, app, args, mode string) *esl.Event {
	t.Helper()
	id := uuid.NewString()
	events := c.Listen(esl.Match{UUID: id, Names: []string{"CHANNEL_HANGUP_COMPLETE"}, Buffer: 16})
	defer events.Close()
	vars := "origination_uuid=" + id + ",fsstar_app=" + app
	if args != "" {
		vars = "origination_uuid=" + id + ",fsstar_app=" + esl.QuoteArg(app+" "+args)
	}
	sock := strings.TrimSpace(s.listen + " " + mode)
	if out, err := c.API(ctx, "originate {"+vars+"}loopback/"+parkExt()+" &socket('"+sock+"')"); err != nil {
		t.Fatalf("originate %s: %q %v", app, out, err)
	}
	ev, err := events.Next(ctx)
	if err != nil {
		t.Fatalf("waiting for the end of the %s call: %v", app, err)
	}
	return ev
}
