package tests

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

// The outbound connection of a call drops while the script waits in an
// Execute: the script gets a clear error, its hangup hook runs once, the
// call ends, and no goroutine is left behind.
func TestReliabilityOutboundDropDuringExecute(t *testing.T) {
	noLeaks(t)
	h := startRel(t, map[string]string{
		"rel/drop.star": hookScript(`
    session.answer()
    freeswitch.consoleLog("info", "PLAYING\n")
    session.execute("playback", "silence_stream://0")
    freeswitch.consoleLog("info", "NOT-REACHED\n")
`)}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ch, err := h.Switch.PlaceCall(ctx, h.Server.Addr(), map[string]string{"fsstar_app": "rel.drop m1"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "playback to start", func() bool { return count(h, "PLAYING") > 0 })
	time.Sleep(50 * time.Millisecond)
	if n := h.Switch.Drop(esltest.Outbound); n != 1 {
		t.Fatalf("dropped %d connections, want 1", n)
	}
	if _, err := ch.WaitHangup(ctx); err != nil {
		t.Fatalf("call did not end after its connection dropped: %v", err)
	}
	waitUntil(t, 5*time.Second, "the hangup hook", func() bool { return count(h, "HOOK-RAN m1") > 0 })
	waitUntil(t, 5*time.Second, "the call to finish in fsstar", func() bool { return metricLine(t, h, "fsstar_active_calls") == "fsstar_active_calls 0" })
	time.Sleep(200 * time.Millisecond)
	if n := count(h, "HOOK-RAN m1"); n != 1 {
		t.Errorf("hangup hook ran %d times, want 1", n)
	}
	if count(h, "NOT-REACHED") != 0 {
		t.Error("the script went on after its Execute failed")
	}
	if !strings.Contains(h.Logs(), "connection to the switch lost") && !strings.Contains(h.Logs(), "hung up") {
		t.Errorf("no clear error for the dropped connection in the log")
	}
	if code, _ := relGet(t, h, "/healthz"); code != 200 {
		t.Errorf("healthz answered %d after the drop", code)
	}
}

// The inbound connection drops while an API() is in flight and the switch
// comes back: the call in flight fails at once (not at its deadline), the
// shared client reconnects and re-subscribes, and a later API() works.
func TestReliabilityInboundDropAndReconnect(t *testing.T) {
	noLeaks(t)
	h := startRel(t, map[string]string{
		"rel/api.star": `
def fsapi(session, stream, env, args):
    stream.write(freeswitch.API().executeString("status"))
`}, func(c *server.Config) { c.RequestTimeout = 20 * time.Second })
	h.WaitConnected(t)
	c := h.Server.Client()
	sub := c.Listen(esl.Match{Names: []string{"rel::ping"}, Buffer: 8})
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.Subscribe(ctx, "CUSTOM rel::ping"); err != nil {
		t.Fatal(err)
	}

	// An API() in flight: the switch stalls, then the connection drops.
	h.Switch.Stall(true)
	type result struct {
		code int
		body string
		took time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		code, body := relGet(t, h, "/api/rel.api")
		done <- result{code, body, time.Since(start)}
	}()
	waitUntil(t, 5*time.Second, "the api command to be pending", func() bool { return c.Stats().Pending > 0 })
	h.Switch.RejectConnections(true) // the switch is down for a moment
	h.Switch.Drop(esltest.Inbound)
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("API() in flight hung after the inbound connection dropped")
	}
	if r.code != http.StatusInternalServerError || r.took > 5*time.Second {
		t.Errorf("in-flight fsapi: %d %q after %v, want a prompt 500", r.code, r.body, r.took)
	}
	if !strings.Contains(h.Logs(), "connection to the switch lost") {
		t.Errorf("the script's error does not say the switch connection was lost")
	}
	h.Switch.Stall(false)
	time.Sleep(300 * time.Millisecond)
	h.Switch.RejectConnections(false) // the switch is back
	waitUntil(t, 15*time.Second, "the client to reconnect", func() bool {
		st := c.Stats()
		return st.Connected && st.Reconnects >= 1
	})
	code, body := relGet(t, h, "/api/rel.api")
	if code != 200 || !strings.Contains(body, "UP") {
		t.Errorf("API() after the reconnect: %d %q", code, body)
	}
	// Re-subscribed: a CUSTOM event fired now still reaches the subscription.
	ev := esl.NewEvent("CUSTOM", "rel::ping")
	ev.Headers.Add("Rel-Marker", "after-reconnect")
	if _, err := c.SendEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	got, err := sub.Next(ctx)
	if err != nil {
		t.Fatalf("no event after the reconnect: %v", err)
	}
	if got.Headers.Get("Rel-Marker") != "after-reconnect" {
		t.Errorf("got %v", got.Headers)
	}
}

// Replies stall past every deadline: fsapi answers 504 at request-timeout,
// a call whose switch stopped answering ends when the caller hangs up (its
// hook runs once), and nothing is left waiting.
func TestReliabilityStalledReplies(t *testing.T) {
	noLeaks(t)
	h := startRel(t, map[string]string{
		"rel/api.star": `
def fsapi(session, stream, env, args):
    stream.write(freeswitch.API().executeString("status"))
`,
		"rel/xml.star": `
def xml_fetch(params):
    freeswitch.API().executeString("status")
    return '<document type="freeswitch/xml"><section name="dialplan"/></document>'
`,
		"rel/stall.star": hookScript(`
    session.answer()
    freeswitch.consoleLog("info", "ANSWERED\n")
    for i in range(100000):
        session.sleep(1000)
    freeswitch.consoleLog("info", "NOT-REACHED\n")
`)}, func(c *server.Config) {
		c.RequestTimeout = 700 * time.Millisecond
		c.XMLFetchTimeout = 500 * time.Millisecond
		c.XMLHandlerScript = "rel.xml"
		c.XMLHandlerBindings = []string{"dialplan"}
	})
	h.WaitConnected(t)
	h.Switch.Stall(true)
	defer h.Switch.Stall(false)
	start := time.Now()
	code, body := relGet(t, h, "/api/rel.api")
	took := time.Since(start)
	if code != http.StatusGatewayTimeout || took > 3*time.Second {
		t.Errorf("stalled fsapi: %d %q after %v, want 504 near 700ms", code, body, took)
	}
	start = time.Now()
	resp, err := http.PostForm("http://"+h.Server.HTTPAddr()+"/xml", url.Values{"section": {"dialplan"}})
	if err != nil {
		t.Fatal(err)
	}
	xb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took = time.Since(start)
	if resp.StatusCode != 200 || !strings.Contains(string(xb), `status="not found"`) || took > 3*time.Second {
		t.Errorf("stalled xml_fetch: %d %q after %v, want not found near 500ms", resp.StatusCode, xb, took)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	h.Switch.Stall(false)
	ch, err := h.Switch.PlaceCall(ctx, h.Server.Addr(), map[string]string{"fsstar_app": "rel.stall s1"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the answer", func() bool { return count(h, "ANSWERED") > 0 })
	time.Sleep(50 * time.Millisecond)
	h.Switch.Stall(true) // the next command is never answered
	time.Sleep(300 * time.Millisecond)
	// The caller gives up on the silence. (esltest sends a connection's
	// events from the goroutine the stall holds, so the hangup reaches
	// fsstar when the stall ends.)
	go ch.Hangup("NORMAL_CLEARING")
	time.Sleep(300 * time.Millisecond)
	h.Switch.Stall(false)
	if _, err := ch.WaitHangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the hangup hook", func() bool { return count(h, "HOOK-RAN s1") > 0 })
	time.Sleep(200 * time.Millisecond)
	if n := count(h, "HOOK-RAN s1"); n != 1 {
		t.Errorf("hangup hook ran %d times, want 1", n)
	}
	waitUntil(t, 5*time.Second, "the call to finish in fsstar", func() bool { return metricLine(t, h, "fsstar_active_calls") == "fsstar_active_calls 0" })
}

// A garbage frame arrives on the inbound and on an outbound connection: the
// connection is dropped with a clear log line, the call ends with its hook
// run once, and the service keeps serving.
func TestReliabilityGarbageFrame(t *testing.T) {
	noLeaks(t)
	h := startRel(t, map[string]string{
		"rel/api.star": `
def fsapi(session, stream, env, args):
    stream.write(freeswitch.API().executeString("status"))
`,
		"rel/garbage.star": hookScript(`
    session.answer()
    freeswitch.consoleLog("info", "LOOPING %s\n" % args)
    for i in range(2000):
        session.sleep(1000)
`)}, nil)
	h.WaitConnected(t)
	h.Switch.CorruptNextFrame(esltest.Inbound)
	code, _ := relGet(t, h, "/api/rel.api") // its reply is the garbage
	if code == 200 {
		t.Log("the corrupted frame was not the api reply (an event took it)")
	}
	waitUntil(t, 15*time.Second, "the client to be connected again", func() bool {
		st := h.Server.Client().Stats()
		return st.Connected && st.Reconnects >= 1
	})
	if code, body := relGet(t, h, "/api/rel.api"); code != 200 {
		t.Errorf("API() after the garbage frame: %d %q", code, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ch, err := h.Switch.PlaceCall(ctx, h.Server.Addr(), map[string]string{"fsstar_app": "rel.garbage g1"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the script to run", func() bool { return count(h, "LOOPING g1") > 0 })
	h.Switch.CorruptNextFrame(esltest.Outbound)
	select {
	case <-ch.Done():
	case <-time.After(5 * time.Second):
		t.Error("the call did not end after a garbage frame (its script may wait for ever)")
		ch.Hangup("NORMAL_CLEARING")
	}
	if _, err := ch.WaitHangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the hangup hook", func() bool { return count(h, "HOOK-RAN g1") > 0 })
	time.Sleep(200 * time.Millisecond)
	if n := count(h, "HOOK-RAN g1"); n != 1 {
		t.Errorf("hangup hook ran %d times, want 1", n)
	}
	if !strings.Contains(strings.ToLower(h.Logs()), "frame") {
		t.Errorf("no log line names the bad frame")
	}
	// Still serving calls.
	ch2, err := h.Switch.PlaceCall(ctx, h.Server.Addr(), map[string]string{"fsstar_app": "rel.garbage g2"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the second call's script", func() bool { return count(h, "LOOPING g2") > 0 })
	ch2.Hangup("NORMAL_CLEARING")
	waitUntil(t, 5*time.Second, "the second call's hook", func() bool { return count(h, "HOOK-RAN g2") == 1 })
}

// Auth is refused: the log says so clearly without the password, the
// service stays up and keeps retrying, and connects once auth works.
func TestReliabilityAuthRefused(t *testing.T) {
	noLeaks(t)
	const pw = "Zq7-distinctive-PASSWORD-81xk"
	sw := esltest.NewSwitch(t, esltest.WithPassword(pw))
	sw.RefuseAuth(true)
	h := startRel(t, map[string]string{"rel/api.star": `
def fsapi(session, stream, env, args):
    stream.write(freeswitch.API().executeString("status"))
`}, nil, servertest.WithSwitch(sw))
	waitUntil(t, 10*time.Second, "an auth failure in the log", func() bool {
		return strings.Contains(h.Logs(), "authentication refused")
	})
	if code, body := relGet(t, h, "/healthz"); code != 200 || !strings.Contains(body, "not connected") {
		t.Errorf("healthz while auth is refused: %d %q", code, body)
	}
	if code, _ := relGet(t, h, "/api/rel.api"); code != http.StatusInternalServerError {
		t.Errorf("fsapi while auth is refused answered %d, want 500", code)
	}
	sw.RefuseAuth(false)
	h.WaitConnected(t)
	if code, body := relGet(t, h, "/api/rel.api"); code != 200 {
		t.Errorf("fsapi after auth works again: %d %q", code, body)
	}
	h.Close()
	if strings.Contains(h.Logs(), pw) {
		t.Errorf("the ESL password appears in the log")
	}
}

func relGet(t *testing.T, h *servertest.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + h.Server.HTTPAddr() + path)
	if err != nil {
		t.Errorf("GET %s: %v", path, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func metricLine(t *testing.T, h *servertest.Server, name string) string {
	_, m := relGet(t, h, "/metrics")
	for _, l := range strings.Split(m, "\n") {
		if strings.HasPrefix(l, name+" ") || strings.HasPrefix(l, name+"{") {
			return l
		}
	}
	return ""
}

var _ = errors.Is

// The switch process goes away with an API() in flight and a new one comes
// back on the same address: the call in flight fails at once, the shared
// client reconnects to the new switch by itself, API() works again and the
// new switch's calls are served.
func TestReliabilitySwitchRestart(t *testing.T) {
	noLeaks(t)
	h := startRel(t, map[string]string{
		"rel/api.star": `
def fsapi(session, stream, env, args):
    stream.write(freeswitch.API().executeString("hostname"))
`,
		"rel/call.star": hookScript(`
    session.answer()
    session.setVariable("rel_served", "yes")
`)}, func(c *server.Config) { c.RequestTimeout = 20 * time.Second }, servertest.WithSwitchOptions(esltest.WithHostname("switch-one")))
	h.WaitConnected(t)
	c := h.Server.Client()
	addr := h.Switch.Addr()
	h.Switch.Stall(true)
	done := make(chan int, 1)
	go func() {
		code, _ := relGet(t, h, "/api/rel.api")
		done <- code
	}()
	waitUntil(t, 5*time.Second, "the api command to be pending", func() bool { return c.Stats().Pending > 0 })
	h.Switch.Close() // the switch process dies
	select {
	case code := <-done:
		if code != http.StatusInternalServerError {
			t.Errorf("API() in flight when the switch died: %d, want 500", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("API() in flight hung after the switch died")
	}
	sw2, err := esltest.New(esltest.WithListenAddr(addr), esltest.WithHostname("switch-two"), esltest.WithLogger(hclog.NewNullLogger()))
	if err != nil {
		t.Fatalf("restart the switch on %s: %v", addr, err)
	}
	defer sw2.Close()
	waitUntil(t, 15*time.Second, "the client to reconnect to the new switch", func() bool {
		st := c.Stats()
		return st.Connected && st.Reconnects >= 1
	})
	if code, body := relGet(t, h, "/api/rel.api"); code != 200 || !strings.Contains(body, "switch-two") {
		t.Errorf("API() after the restart: %d %q", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := sw2.PlaceCall(ctx, h.Server.Addr(), map[string]string{"fsstar_app": "rel.call r1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.WaitHangup(ctx); err != nil {
		t.Fatal(err)
	}
	if ch.Var("rel_served") != "yes" {
		t.Error("a call from the restarted switch was not served")
	}
	waitUntil(t, 5*time.Second, "the hook", func() bool { return count(h, "HOOK-RAN r1") == 1 })
	h.Close()
}
