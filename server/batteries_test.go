package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

// allowServer is a Config edit allowing the host:port of srv.
func allowServer(t *testing.T, srv *httptest.Server, more func(*server.Config)) func(*server.Config) {
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *server.Config) {
		c.HTTPAllowHosts = []string{u.Host}
		if more != nil {
			more(c)
		}
	}
}

// waitForLog waits until the log has want, and shows the log when it never
// does.
func waitForLog(t *testing.T, h *servertest.Server, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(h.Logs(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never said %q:\n%s", want, h.Logs())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// metricsText is the server's /metrics page.
func metricsText(t *testing.T, h *servertest.Server) string {
	t.Helper()
	code, body, _ := do(t, "GET", h.URL("/metrics"), "", nil)
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	return body
}

// TestCRMLookupExample runs scripts/examples/crm_lookup.star against a local
// CRM that http-allow-hosts allows (fsstar test cannot configure that, so its
// _test.star checks the refused path) and reads its metrics on /metrics.
func TestCRMLookupExample(t *testing.T) {
	src, err := os.ReadFile("../scripts/examples/crm_lookup.star")
	if err != nil {
		t.Fatal(err)
	}
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("number") {
		case "1000":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"name": "Alice Example", "route": "sales"}`)
		case "1001":
			io.WriteString(w, "<html>oops</html>")
		default:
			http.NotFound(w, r)
		}
	}))
	defer crm.Close()
	h := servertest.NewServer(t, map[string]string{"examples/crm_lookup.star": string(src)}, servertest.WithConfig(allowServer(t, crm, nil)))
	vars := func(number string) map[string]string {
		return map[string]string{"fsstar_app": "examples.crm_lookup", "caller_id_number": number, "crm_url": crm.URL + "/api/callers"}
	}
	ch, _ := h.Call(t, vars("1000"))
	if got := [2]string{ch.Var("effective_caller_id_name"), ch.Var("crm_route")}; got != [2]string{"Alice Example", "sales"} {
		t.Errorf("known caller: name and route %q; logs:\n%s", got, h.Logs())
	}
	ch, _ = h.Call(t, vars("999"))
	if ch.Var("effective_caller_id_name") != "" || ch.Var("crm_route") != "" {
		t.Errorf("unknown caller got %q %q", ch.Var("effective_caller_id_name"), ch.Var("crm_route"))
	}
	h.Call(t, vars("1001"))
	m := metricsText(t, h)
	for _, want := range []string{
		`fsstar_script_crm_lookups_total{module="examples.crm_lookup",outcome="found"} 1`,
		`fsstar_script_crm_lookups_total{module="examples.crm_lookup",outcome="unknown"} 1`,
		`fsstar_script_crm_lookups_total{module="examples.crm_lookup",outcome="failed"} 1`,
		`fsstar_script_crm_lookup_seconds_count{module="examples.crm_lookup"} 3`,
		`# HELP fsstar_script_crm_lookups_total CRM lookups, by outcome: found, unknown, failed.`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", h.Logs())
	}
}

// TestScriptHTTPCancelledAtHangup: a request in flight when the caller hangs
// up ends when hangup-grace does (the call's context), and the script's
// error says so.
func TestScriptHTTPCancelledAtHangup(t *testing.T) {
	reached := make(chan struct{}, 1)
	ended := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached <- struct{}{}
		select {
		case <-r.Context().Done():
			close(ended)
		case <-time.After(time.Minute):
		}
	}))
	defer slow.Close()
	script := fmt.Sprintf(`
def handler(session, args):
    session.answer()
    http.get(%q, timeout=50)
`, slow.URL+"/slow")
	h := servertest.NewServer(t, map[string]string{"h.star": script}, servertest.WithConfig(allowServer(t, slow, func(c *server.Config) { c.HangupGrace = 50 * time.Millisecond })))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch, err := h.Switch.PlaceCall(ctx, h.Server.Addr(), map[string]string{"fsstar_app": "h"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-ctx.Done():
		t.Fatalf("the request never reached the server; logs:\n%s", h.Logs())
	}
	ch.Hangup("NORMAL_CLEARING")
	select {
	case <-ended:
	case <-ctx.Done():
		t.Fatalf("the request was not cancelled after the hangup; logs:\n%s", h.Logs())
	}
	waitForLog(t, h, "http.get "+slow.URL+"/slow: cancelled: esl: call "+ch.UUID()+" hung up (NORMAL_CLEARING)")
}

// TestScriptMetricsOnMetrics: metrics declared at module level and in each
// call are one metric on /metrics; a conflicting declaration, one beyond
// script-metrics-max-names and one of fsstar's own names fail the call with
// an error naming them; label sets beyond script-metrics-max-series are
// dropped and counted.
func TestScriptMetricsOnMetrics(t *testing.T) {
	scripts := map[string]string{
		"ivr/route.star": `
routed = metrics.counter("calls_routed", "Calls routed, by route.", labels=["route"])

def handler(session, args):
    routed.inc(route=args)
    # The same declaration in a call returns the same counter.
    metrics.counter("calls_routed", "Calls routed, by route.", labels=["route"]).inc(route=args)
    metrics.histogram("wait_seconds", "Wait.", buckets=[1, 5]).observe(2)
`,
		"bad.star": `
def handler(session, args):
    if args == "conflict":
        metrics.histogram("calls_routed", "Calls routed, by route.", labels=["route"])
    elif args == "own":
        metrics.counter("errors", "mine")
    else:
        metrics.counter("third", "one name too many")
`,
	}
	h := servertest.NewServer(t, scripts, servertest.WithConfig(func(c *server.Config) {
		c.ScriptMetricsMaxNames = 2
		c.ScriptMetricsMaxSeries = 2
	}))
	for _, route := range []string{"sales", "sales", "support", "billing"} {
		h.Call(t, map[string]string{"fsstar_app": "ivr.route " + route})
	}
	m := metricsText(t, h)
	for _, want := range []string{
		`fsstar_script_calls_routed_total{module="ivr.route",route="sales"} 4`,
		`fsstar_script_calls_routed_total{module="ivr.route",route="support"} 2`,
		`fsstar_script_metric_samples_dropped_total{metric="fsstar_script_calls_routed_total",module="ivr.route"} 2`,
		`fsstar_script_wait_seconds_bucket{module="ivr.route",le="5"} 4`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
	if strings.Contains(m, `route="billing"`) {
		t.Errorf("a label set beyond script-metrics-max-series was exported")
	}
	for args, want := range map[string]string{
		"conflict": "fsstar_script_calls_routed_total is declared already as a counter with labels [route], not as a histogram",
		"own":      "fsstar_script_errors_total: scripts declared 2 metric names already",
		"":         "fsstar_script_third_total: scripts declared 2 metric names already, the most script-metrics-max-names allows",
	} {
		h.Call(t, map[string]string{"fsstar_app": strings.TrimSpace("bad " + args)})
		waitForLog(t, h, want)
	}
	if !strings.Contains(h.Logs(), "script metric has too many label sets") {
		t.Errorf("the dropped label set was not logged")
	}
}

// TestScriptMetricNamesOfFsstarRefused: a script cannot declare a name
// fsstar exports itself.
func TestScriptMetricNamesOfFsstarRefused(t *testing.T) {
	h := servertest.NewServer(t, map[string]string{"m.star": `
def handler(session, args):
    metrics.counter("errors", "mine")
`})
	h.Call(t, map[string]string{"fsstar_app": "m"})
	waitForLog(t, h, "fsstar_script_errors_total: the name is fsstar's own or taken")
	if m := metricsText(t, h); strings.Contains(m, `fsstar_script_errors_total{module=`) {
		t.Errorf("a script's fsstar_script_errors_total is on /metrics")
	}
}

// TestHTTPConfigErrors: the http params are checked where they are read.
func TestHTTPConfigErrors(t *testing.T) {
	for doc, want := range map[string]string{
		`<param name="http-allow-hosts" value="http://crm.example.com/"/>`: `param "http-allow-hosts": http-allow-hosts entry "http://crm.example.com/": want host, host:port or *.domain, not a URL`,
		`<param name="http-max-redirects" value="-1"/>`:                    `param "http-max-redirects": want a number from 0 to 20`,
		`<param name="http-timeout" value="0s"/>`:                          `param "http-timeout": want a duration above 0`,
		`<param name="script-metrics-max-series" value="0"/>`:              `param "script-metrics-max-series": want a positive number`,
	} {
		c := server.DefaultConfig()
		err := server.LoadConfig(&c, strings.NewReader(`<configuration name="fsstar.conf"><settings>`+doc+`</settings></configuration>`))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", doc, err, want)
		}
	}
	c := server.DefaultConfig()
	if err := server.LoadConfig(&c, strings.NewReader(`<configuration name="fsstar.conf"><settings>
<param name="http-allow-hosts" value="crm.example.com, *.svc.example.org:8443"/>
<param name="http-allow-hosts" value="127.0.0.1:9000"/>
</settings></configuration>`)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.HTTPAllowHosts, "|"); got != "crm.example.com, *.svc.example.org:8443|127.0.0.1:9000" {
		t.Errorf("http-allow-hosts: %q", got)
	}
	c = server.DefaultConfig()
	c.ScriptDirs = []string{t.TempDir()}
	c.HTTPTimeout, c.HTTPMaxTimeout = time.Minute, time.Second
	if _, err := server.New(c); err == nil || !strings.Contains(err.Error(), "http-timeout 1m0s is above http-max-timeout 1s") {
		t.Errorf("http-timeout above http-max-timeout: %v", err)
	}
}
