package esltest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/google/uuid"
)

// The tests in this file pin behaviours of the simulated switch to
// transcripts recorded from a real FreeSWITCH 1.11.3-dev
// (testdata/transcripts, one per behaviour; the "## " notes in the .txt
// say what each scenario does). Each test reads the recorded facts (which
// app completed, how long it ran, which variables it left, which events a
// listener saw) and runs the same scenario on the simulator.

// recorded is one record of a transcript.
type recorded struct {
	T    float64 `json:"t"`
	Conn string  `json:"conn"`
	Dir  string  `json:"dir"`
	B64  string  `json:"b64"`
	raw  []byte
}

func loadTranscript(t *testing.T, name string) []recorded {
	t.Helper()
	data, err := os.ReadFile("testdata/transcripts/" + name + ".jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var recs []recorded
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r recorded
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		r.raw, _ = base64.StdEncoding.DecodeString(r.B64)
		recs = append(recs, r)
	}
	return recs
}

// frames returns the frames the switch sent on conn, with their times.
func frames(t *testing.T, recs []recorded, conn string) ([]*esl.Frame, []float64) {
	t.Helper()
	var fs []*esl.Frame
	var ts []float64
	for _, r := range recs {
		if r.Conn != conn || r.Dir != "s2c" {
			continue
		}
		f, err := esl.NewReader(bytes.NewReader(r.raw), esl.Limits{}).ReadFrame()
		if err != nil {
			t.Fatalf("recorded frame: %v", err)
		}
		fs = append(fs, f)
		ts = append(ts, r.T)
	}
	return fs, ts
}

// recordedRun is one app the recording ran with sendmsg: its
// CHANNEL_EXECUTE_COMPLETE and how long it took from the sendmsg.
type recordedRun struct {
	ev      *esl.Event
	elapsed time.Duration
}

// recordedRuns returns the CHANNEL_EXECUTE_COMPLETE events received on conn
// for executes sent with an Event-UUID, in order.
func recordedRuns(t *testing.T, recs []recorded, conn string) []recordedRun {
	t.Helper()
	sent := map[string]float64{}
	var runs []recordedRun
	for _, r := range recs {
		if r.Conn != conn {
			continue
		}
		if r.Dir == "c2s" && strings.HasPrefix(string(r.raw), "sendmsg") {
			for _, l := range strings.Split(string(r.raw), "\n") {
				if v, ok := strings.CutPrefix(l, "Event-UUID: "); ok {
					sent[v] = r.T
				}
			}
			continue
		}
		if r.Dir != "s2c" {
			continue
		}
		f, err := esl.NewReader(bytes.NewReader(r.raw), esl.Limits{}).ReadFrame()
		if err != nil || !f.IsEvent() {
			continue
		}
		ev, err := esl.ParseEvent(f)
		if err != nil || ev.Name() != "CHANNEL_EXECUTE_COMPLETE" {
			continue
		}
		if t0, ok := sent[ev.Get("Application-UUID")]; ok {
			runs = append(runs, recordedRun{ev, time.Duration((r.T - t0) * float64(time.Second))})
		}
	}
	return runs
}

// fidelitySwitch is a simulator running 20 times faster than real time.
func fidelitySwitch(t *testing.T) *Switch {
	return NewSwitch(t, WithTimeScale(0.05))
}

// parked originates a leg parked under the client's control, as the
// recordings do (originate loopback/park &park()), and subscribes c to
// its events.
func parked(t *testing.T, sw *Switch, c *client) *Channel {
	t.Helper()
	id := uuid.NewString()
	c.cmd("event plain CHANNEL_EXECUTE_COMPLETE DTMF CHANNEL_HANGUP CHANNEL_PARK CHANNEL_UNPARK CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE")
	c.cmd("filter Unique-ID " + id)
	if out := c.api("originate {origination_uuid=" + id + "}loopback/park &park()"); !strings.HasPrefix(out, "+OK") {
		t.Fatalf("originate: %q", out)
	}
	ev := c.waitEvent(func(ev *esl.Event) bool { return ev.Name() == "CHANNEL_PARK" && ev.UniqueID() == id })
	c.events = append(c.events, ev) // kept for tests that look at the whole sequence
	return sw.Channel(id)
}

// simRun is one app run on the simulator.
type simRun struct {
	ev      *esl.Event
	elapsed time.Duration // simulated
}

// sendExec sends sendmsg execute with an Event-UUID (as the recordings do)
// and returns it.
func sendExec(t *testing.T, c *client, ch *Channel, app, arg string) string {
	t.Helper()
	id := uuid.NewString()
	h := esl.Headers{{Name: "call-command", Value: "execute"}, {Name: "execute-app-name", Value: app}}
	if arg != "" {
		h.Add("execute-app-arg", arg)
	}
	h.Add("event-lock", "true")
	h.Add("Event-UUID", id)
	c.send("sendmsg "+ch.UUID(), h, nil)
	if f := c.reply(); f.ReplyText() != "+OK" {
		t.Fatalf("sendmsg %s: %q", app, f.ReplyText())
	}
	return id
}

// waitComplete waits for the CHANNEL_EXECUTE_COMPLETE of the execute id;
// the run's length is the simulated time it took on the app clock.
func waitComplete(t *testing.T, c *client, ch *Channel, id string) simRun {
	t.Helper()
	ev := c.waitEvent(func(ev *esl.Event) bool {
		return ev.Name() == "CHANNEL_EXECUTE_COMPLETE" && ev.Get("Application-UUID") == id
	})
	for _, r := range ch.Apps() {
		if r.UUID == id {
			return simRun{ev, r.Took}
		}
	}
	t.Fatalf("execute %s completed but is not in Apps()", id)
	return simRun{}
}

// sameVars checks the variables names have the same values (or are unset
// in both) in the recorded and the simulated completion.
func sameVars(t *testing.T, step string, rec, sim *esl.Event, names ...string) {
	t.Helper()
	for _, n := range names {
		rv, rok := rec.Headers.Lookup("variable_" + n)
		sv, sok := sim.Headers.Lookup("variable_" + n)
		if rv != sv || rok != sok {
			t.Errorf("%s: %s: simulator %q (set %v), recorded %q (set %v)", step, n, sv, sok, rv, rok)
		}
	}
}

// sameLength checks both ran shorter than cut, or both at least full.
func sameLength(t *testing.T, step string, rec recordedRun, sim simRun, cut time.Duration) {
	t.Helper()
	if (rec.elapsed < cut) != (sim.elapsed < cut) {
		t.Errorf("%s: ran %v on the simulator, %v on the switch (cut %v)", step, sim.elapsed, rec.elapsed, cut)
	}
}

// step runs app with digits delivered at the given simulated time into it
// (on the app clock), and compares it with the recorded run.
type step struct {
	name, app, arg string
	dtmfAt         time.Duration
	dtmf           string
	cut            time.Duration // "ended early" threshold; 0: not checked
	vars           []string
	queueNext      bool // send the next step's execute right behind this one
}

func runSteps(t *testing.T, c *client, ch *Channel, steps []step, runs []recordedRun) {
	t.Helper()
	if len(runs) != len(steps) {
		t.Fatalf("%d recorded runs, %d steps", len(runs), len(steps))
	}
	for i := 0; i < len(steps); i++ {
		s := steps[i]
		if s.dtmf != "" {
			// On the app clock from the app's start: neither the round
			// trip of the sendmsg nor a busy machine moves the digits
			// relative to what the app does.
			ch.DTMFDuring(s.app, s.dtmfAt, s.dtmf)
		}
		ids := []string{sendExec(t, c, ch, s.app, s.arg)}
		group := []step{s}
		for s.queueNext {
			i++
			s = steps[i]
			ids = append(ids, sendExec(t, c, ch, s.app, s.arg))
			group = append(group, s)
		}
		for k, id := range ids {
			sim := waitComplete(t, c, ch, id)
			rec := runs[i-len(ids)+1+k]
			g := group[k]
			if rec.ev.Get("Application") != g.app || sim.ev.Get("Application") != g.app {
				t.Fatalf("%s: recorded %s, simulated %s", g.name, rec.ev.Get("Application"), sim.ev.Get("Application"))
			}
			if a, b := rec.ev.Get("Application-Response"), sim.ev.Get("Application-Response"); a != b {
				t.Errorf("%s: Application-Response %q, recorded %q", g.name, b, a)
			}
			sameVars(t, g.name, rec.ev, sim.ev, g.vars...)
			if g.cut > 0 && k == 0 {
				sameLength(t, g.name, rec, sim, g.cut)
			}
		}
	}
}

// TestFidelityPlaybackTerminators: with playback_terminators unset, '*'
// ends playback and record (on_dtmf's default), another digit does not,
// and "none" turns it off (01-playback-terminators).
func TestFidelityPlaybackTerminators(t *testing.T) {
	runs := recordedRuns(t, loadTranscript(t, "01-playback-terminators"), "ctl")
	sw := fidelitySwitch(t)
	c := dialSwitch(t, sw, true)
	ch := parked(t, sw, c)
	if got := c.api("uuid_getvar " + ch.UUID() + " playback_terminators"); got != "_undef_" {
		t.Fatalf("playback_terminators = %q", got)
	}
	steps := []step{
		{name: "playback, * at 1 s", app: "playback", arg: "tone_stream://%(4000,0,440)", dtmfAt: time.Second, dtmf: "*", cut: 3 * time.Second, vars: []string{"playback_terminator_used"}},
		{name: "playback, 1 at 0.5 s", app: "playback", arg: "tone_stream://%(2000,0,440)", dtmfAt: 500 * time.Millisecond, dtmf: "1", cut: 1500 * time.Millisecond, vars: []string{"playback_terminator_used"}},
		{name: "record, * at 1 s", app: "record", arg: "/tmp/x.wav 4", dtmfAt: time.Second, dtmf: "*", cut: 3 * time.Second, vars: []string{"playback_terminator_used"}},
	}
	runSteps(t, c, ch, steps, runs[:3])
	c.api("uuid_setvar " + ch.UUID() + " playback_terminators none")
	runSteps(t, c, ch, []step{
		{name: "playback with none, * at 0.5 s", app: "playback", arg: "tone_stream://%(2000,0,440)", dtmfAt: 500 * time.Millisecond, dtmf: "*", cut: 1500 * time.Millisecond},
	}, runs[3:])
}

// TestFidelityMediaDequeuesDTMF: digits typed during a playback are gone
// for a read queued right behind it; read keeps the digits typed during
// its own prompt, and the prompt stops at the first (02-media-dequeues-dtmf).
func TestFidelityMediaDequeuesDTMF(t *testing.T) {
	runs := recordedRuns(t, loadTranscript(t, "02-media-dequeues-dtmf"), "ctl")
	sw := fidelitySwitch(t)
	c := dialSwitch(t, sw, true)
	ch := parked(t, sw, c)
	runSteps(t, c, ch, []step{
		{name: "playback, 12 at 0.5 s", app: "playback", arg: "tone_stream://%(2000,0,440)", dtmfAt: 500 * time.Millisecond, dtmf: "12", queueNext: true},
		{name: "read behind it", app: "read", arg: "1 2 silence_stream://100 fsstar_d 1000 #", vars: []string{"read_result", "fsstar_d"}},
		{name: "read, 12 during its prompt", app: "read", arg: "1 2 tone_stream://%(2000,0,440) fsstar_d 3000 #", dtmfAt: 500 * time.Millisecond, dtmf: "12", cut: 1500 * time.Millisecond, vars: []string{"read_result", "fsstar_d"}},
	}, runs)
}

// TestFidelityParkDropsDTMF: a digit arriving while the park app holds the
// channel is gone for the next read (03-park-discards-dtmf), and so is one
// arriving between the commands of "socket ... async full"
// (03b-socket-park-discards-dtmf).
func TestFidelityParkDropsDTMF(t *testing.T) {
	runs := recordedRuns(t, loadTranscript(t, "03-park-discards-dtmf"), "ctl")
	sw := fidelitySwitch(t)
	c := dialSwitch(t, sw, true)
	ch := parked(t, sw, c)
	c.api("uuid_recv_dtmf " + ch.UUID() + " 5")
	c.waitEvent(named("DTMF"))
	ch.waitNoDigits(t)
	runSteps(t, c, ch, []step{{name: "read after a digit in park", app: "read", arg: "1 1 silence_stream://100 fsstar_d 1000 #", vars: []string{"read_result", "fsstar_d"}}}, runs)

	// The outbound socket's park.
	var rec *esl.Event
	fs, _ := frames(t, loadTranscript(t, "03b-socket-park-discards-dtmf"), "outbound")
	for _, f := range fs {
		if ev, err := esl.ParseEvent(f); err == nil && f.IsEvent() && ev.Name() == "CHANNEL_EXECUTE_COMPLETE" && ev.Get("Application") == "read" {
			rec = ev
		}
	}
	if rec == nil {
		t.Fatal("no recorded read")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type placed struct {
		ch  *Channel
		err error
	}
	done := make(chan placed, 1)
	go func() {
		ch, err := sw.PlaceCall(t.Context(), ln.Addr().String(), nil)
		done <- placed{ch, err}
	}()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	o := newClient(t, nc)
	o.send("connect", nil, nil)
	o.read()
	p := <-done
	if p.err != nil {
		t.Fatal(p.err)
	}
	o.cmd("myevents")
	p.ch.SendDTMF("5")
	o.waitEvent(named("DTMF"))
	p.ch.waitNoDigits(t)
	o.send("sendmsg", esl.Headers{{Name: "call-command", Value: "execute"}, {Name: "execute-app-name", Value: "read"}, {Name: "execute-app-arg", Value: "1 1 silence_stream://100 fsstar_d 1000 #"}, {Name: "event-lock", Value: "true"}}, nil)
	if f := o.reply(); f.ReplyText() != "+OK" {
		t.Fatalf("sendmsg read: %q", f.ReplyText())
	}
	sim := o.waitEvent(namedApp("CHANNEL_EXECUTE_COMPLETE", "read"))
	sameVars(t, "socket park", rec, sim, "read_result", "fsstar_d")
	p.ch.Hangup("")
}

// waitNoDigits waits until park has taken the waiting digits.
func (ch *Channel) waitNoDigits(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for ch.hasDigits() {
		if time.Now().After(deadline) {
			t.Fatal("digits still waiting")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFidelitySleepBreaksOnDTMF: sleep ends at the first digit and leaves
// it queued: park drops it before a later read, a read queued behind the
// sleep gets it; with sleep_eat_digits the sleep runs out and the digit is
// eaten (04-sleep-breaks-on-dtmf).
func TestFidelitySleepBreaksOnDTMF(t *testing.T) {
	runs := recordedRuns(t, loadTranscript(t, "04-sleep-breaks-on-dtmf"), "ctl")
	sw := fidelitySwitch(t)
	c := dialSwitch(t, sw, true)
	ch := parked(t, sw, c)
	rd := "1 1 silence_stream://100 fsstar_d 1000 #"
	runSteps(t, c, ch, []step{
		{name: "sleep, 7 at 0.5 s", app: "sleep", arg: "3000", dtmfAt: 500 * time.Millisecond, dtmf: "7", cut: 2 * time.Second},
		{name: "read after it", app: "read", arg: rd, vars: []string{"read_result", "fsstar_d"}},
		{name: "sleep with read queued, 7 at 0.5 s", app: "sleep", arg: "3000", dtmfAt: 500 * time.Millisecond, dtmf: "7", cut: 2 * time.Second, queueNext: true},
		{name: "read queued behind", app: "read", arg: rd, vars: []string{"read_result", "fsstar_d"}},
	}, runs[:4])
	c.api("uuid_setvar " + ch.UUID() + " sleep_eat_digits true")
	runSteps(t, c, ch, []step{
		{name: "sleep_eat_digits, 7 at 0.5 s", app: "sleep", arg: "1500", dtmfAt: 500 * time.Millisecond, dtmf: "7", cut: time.Second, queueNext: true},
		{name: "read queued behind", app: "read", arg: rd, vars: []string{"read_result", "fsstar_d"}},
	}, runs[4:])
}

// TestFidelityPlayAndGetDigitsFailure: too few digits leave them in the
// variable, read_result is failure, <var>_invalid stays unset
// (06-pagd-failure-partial).
func TestFidelityPlayAndGetDigitsFailure(t *testing.T) {
	runs := recordedRuns(t, loadTranscript(t, "06-pagd-failure-partial"), "ctl")
	sw := fidelitySwitch(t)
	c := dialSwitch(t, sw, true)
	ch := parked(t, sw, c)
	runSteps(t, c, ch, []step{
		{name: "one try, 1 typed", app: "play_and_get_digits", arg: `3 3 1 1500 # silence_stream://200 silence_stream://100 pagd \d+`, dtmfAt: 500 * time.Millisecond, dtmf: "1", vars: []string{"pagd", "read_result", "pagd_invalid"}},
	}, runs[:1])
	runSteps(t, c, ch, []step{
		{name: "two tries", app: "play_and_get_digits", arg: `3 3 2 1500 # silence_stream://200 silence_stream://100 pagd2 \d+`, dtmfAt: 500 * time.Millisecond, dtmf: "1WWW12#", vars: []string{"pagd2", "read_result", "pagd2_invalid"}},
	}, runs[1:])
}

// TestFidelityGetvarReply: getvar on an outbound socket answers with the
// value as Reply-Text, cut at 511 bytes, a newline left in the header
// block, and "-ERR command not found" for an unset variable
// (07-getvar-outbound).
func TestFidelityGetvarReply(t *testing.T) {
	var replies []string
	for _, r := range loadTranscript(t, "07-getvar-outbound") {
		if r.Conn == "outbound" && r.Dir == "s2c" && strings.HasPrefix(string(r.raw), "Content-Type: command/reply\nReply-Text: ") && len(r.raw) < 1024 {
			replies = append(replies, string(r.raw))
		}
	}
	if len(replies) < 4 {
		t.Fatalf("recorded %d getvar replies", len(replies))
	}
	// The recorded reply to the value with a newline, byte for byte.
	wantNL := replies[3]
	sw := fidelitySwitch(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go sw.PlaceCall(t.Context(), ln.Addr().String(), map[string]string{"fsstar_long": strings.Repeat("x", 600)}, Static())
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	o := newClient(t, nc)
	o.send("connect", nil, nil)
	info := o.read()
	ch := sw.Channel(info.Headers.Get("Unique-ID"))
	ch.SetVar("fsstar_nl", "line1\nline2")
	ch.SetVar("fsstar_short", "hello world")
	for i, name := range []string{"fsstar_short", "no_such_var", "fsstar_long"} {
		got := o.cmd("getvar " + name)
		if g := string(esl.AppendFrame(nil, got.Headers, nil)); g != replies[i] {
			t.Errorf("getvar %s: %q, recorded %q", name, g, replies[i])
		}
	}
	o.send("getvar fsstar_nl", nil, nil)
	raw := make([]byte, len(wantNL))
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(nc, raw); err != nil || string(raw) != wantNL {
		t.Errorf("getvar fsstar_nl: %q %v, recorded %q", raw, err, wantNL)
	}
	ch.Hangup("")
}

// TestFidelitySendeventToChannel: sendevent with the Unique-ID of a live
// channel answers "+OK <uuid>" and queues the event to the channel: park
// fires it with the channel's data and without Event-Name, a playback
// drops it, and an event naming no channel is fired at once
// (05-sendevent-unique-id).
func TestFidelitySendeventToChannel(t *testing.T) {
	fs, _ := frames(t, loadTranscript(t, "05-sendevent-unique-id"), "listener")
	var recEvents []*esl.Event
	for _, f := range fs {
		if f.IsEvent() {
			ev, err := esl.ParseEvent(f)
			if err != nil {
				t.Fatal(err)
			}
			recEvents = append(recEvents, ev)
		}
	}
	if len(recEvents) != 2 || recEvents[0].Get("fsstar-n") != "parked" || recEvents[1].Get("fsstar-n") != "nochannel" {
		t.Fatalf("recorded listener events: %d", len(recEvents))
	}
	sw := fidelitySwitch(t)
	c := dialSwitch(t, sw, true)
	ch := parked(t, sw, c)
	lis := dialSwitch(t, sw, true)
	lis.cmd("event plain CUSTOM fsstar::fid")
	send := func(id, n string) {
		c.send("sendevent CUSTOM", esl.Headers{{Name: "Event-Subclass", Value: "fsstar::fid"}, {Name: "Unique-ID", Value: id}, {Name: "fsstar-n", Value: n}}, nil)
		if f := c.reply(); !strings.HasPrefix(f.ReplyText(), "+OK ") {
			t.Fatalf("sendevent: %q", f.ReplyText())
		}
	}
	send(ch.UUID(), "parked")
	got := lis.waitEvent(func(*esl.Event) bool { return true })
	rec := recEvents[0]
	for _, h := range []string{"Event-Name", "Core-UUID", "Event-Sequence", "Event-Date-Timestamp", "Channel-Name", "Unique-ID", "Command", "variable_uuid"} {
		_, rok := rec.Headers.Lookup(h)
		_, sok := got.Headers.Lookup(h)
		if rok != sok {
			t.Errorf("parked: header %s present %v, recorded %v", h, sok, rok)
		}
	}
	if got.Get("fsstar-n") != "parked" || got.Get("Event-Subclass") != rec.Get("Event-Subclass") {
		t.Errorf("parked: got %v", got.Headers)
	}
	// During a playback the event is dropped; the playback runs to its end.
	id := sendExec(t, c, ch, "playback", "tone_stream://%(2000,0,440)")
	send(ch.UUID(), "playing")
	waitComplete(t, c, ch, id)
	send("00000000-0000-0000-0000-000000000000", "nochannel")
	got = lis.waitEvent(func(*esl.Event) bool { return true })
	if got.Get("fsstar-n") != "nochannel" || got.Name() != "CUSTOM" {
		t.Errorf("after the playback the listener got %q (%s), recorded only nochannel", got.Get("fsstar-n"), got.Name())
	}
}

// bridgeKinds are the events the bridge recording subscribed to.
var bridgeKinds = map[string]bool{"CHANNEL_BRIDGE": true, "CHANNEL_UNBRIDGE": true, "CHANNEL_HANGUP": true, "CHANNEL_EXECUTE": true, "CHANNEL_PARK": true}

// eventsOf returns what c received about id (of the bridge kinds) until
// one of them matches last: "NAME app" each.
func eventsOf(t *testing.T, c *client, id, last string) []string {
	t.Helper()
	var seq []string
	for {
		ev := c.waitEvent(func(ev *esl.Event) bool { return ev.UniqueID() == id && bridgeKinds[ev.Name()] })
		e := strings.TrimSpace(ev.Name() + " " + ev.Get("Application"))
		seq = append(seq, e)
		if e == last {
			return seq
		}
	}
}

// TestFidelityUUIDBridgeEnd: after uuid_bridge A B, when B hangs up, A
// (the first uuid) gets CHANNEL_UNBRIDGE; parked by &park() it hangs up,
// held by the socket app it goes on with the dialplan after socket and
// its socket connection stays open (08-bridge-b-hangup).
func TestFidelityUUIDBridgeEnd(t *testing.T) {
	fs, _ := frames(t, loadTranscript(t, "08-bridge-b-hangup"), "ctl")
	recSeq := map[string][]string{} // by uuid, in the order of the recording
	var order []string
	for _, f := range fs {
		if !f.IsEvent() {
			continue
		}
		ev, _ := esl.ParseEvent(f)
		id := ev.UniqueID()
		if recSeq[id] == nil {
			order = append(order, id)
		}
		recSeq[id] = append(recSeq[id], strings.TrimSpace(ev.Name()+" "+ev.Get("Application")))
	}
	if len(order) != 4 {
		t.Fatalf("recorded %d channels", len(order))
	}
	wantParked := strings.Join(recSeq[order[0]], ",")
	// The socket leg: what it did until the end of the bridge and after,
	// up to the uuid_kill of the test.
	sockSeq := recSeq[order[2]]
	wantSocket := strings.Join(sockSeq[:len(sockSeq)-1], ",")

	sw := fidelitySwitch(t)
	c := dialSwitch(t, sw, true)
	a := parked(t, sw, c)
	b := parked(t, sw, c)
	c.api("uuid_bridge " + a.UUID() + " " + b.UUID())
	c.api("uuid_kill " + b.UUID())
	if got := strings.Join(eventsOf(t, c, a.UUID(), "CHANNEL_HANGUP"), ","); got != wantParked {
		t.Errorf("parked A: %s\nrecorded: %s", got, wantParked)
	}

	// A held by "socket ... async full" with apps after it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sw.RouteApps("sockx", App{"answer", ""}, App{"socket", ln.Addr().String() + " async full"}, App{"log", "INFO after socket"}, App{"park", ""})
	c2 := dialSwitch(t, sw, true)
	c2.cmd("event plain CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HANGUP CHANNEL_EXECUTE CHANNEL_PARK")
	c2.api("originate loopback/sockx &park()")
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	o := newClient(t, nc)
	o.send("connect", nil, nil)
	sa := sw.Channel(o.read().Headers.Get("Unique-ID"))
	o.cmd("linger")
	b2 := parked(t, sw, c)
	c2.api("uuid_bridge " + sa.UUID() + " " + b2.UUID())
	c2.events = append(c2.events, c2.waitEvent(named("CHANNEL_BRIDGE"))) // kept for eventsOf
	b2.Hangup("")
	got := eventsOf(t, c2, sa.UUID(), "CHANNEL_EXECUTE park")
	got = append(got, eventsOf(t, c2, sa.UUID(), "CHANNEL_PARK")...)
	for len(got) > 0 && got[0] != "CHANNEL_EXECUTE socket" { // the route's answer
		got = got[1:]
	}
	if g := strings.Join(got, ","); g != wantSocket {
		t.Errorf("socket A: %s\nrecorded: %s", g, wantSocket)
	}
	if sa.isHungup() {
		t.Error("socket A hung up")
	}
	sa.Hangup("")
	for {
		f := o.read()
		if f.ContentType() == esl.TypeDisconnectNotice {
			if f.Headers.Get("Content-Disposition") != "linger" {
				t.Errorf("socket after A's hangup: %v", f.Headers)
			}
			break
		}
	}
}
