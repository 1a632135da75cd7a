package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

const toolsScript = `
def fsapi(session, stream, env, args):
    if args == "boom":
        fail("kaboom")
    if args == "slow":
        freeswitch.msleep(3600000)  # an hour: only the request timeout ends it
    if args == "big":
        stream.write("x" * 70000)
        return
    stream.write("args=%s caller=%s ua=%s" % (args, env.getHeader("caller"), env.getHeader("HTTP-User-Agent")))
`

const xmlScript = `
def xml_fetch(params):
    if params["section"] == "dialplan" and params["Caller-Destination-Number"] == "slow":
        freeswitch.msleep(3600000)  # an hour: only the xml-fetch-timeout ends it
    if params["section"] == "dialplan":
        return '<document type="freeswitch/xml"><section name="dialplan"><context name="%s"/></section></document>' % params["Hunt-Context"]
    if params["section"] == "directory":
        fail("bad directory")
    return None
`

const jobScript = `
def runtime(args):
    print("JOB", args)
`

func gatewayScripts() map[string]string {
	return map[string]string{"tools.star": toolsScript, "xmlh.star": xmlScript, "jobs/clean.star": jobScript}
}

// testDeadline bounds every request of these tests: a server timeout that
// does not fire fails the test with this deadline instead of hanging it.
const testDeadline = 15 * time.Second

func do(t *testing.T, method, u, body string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: testDeadline}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v (the test's deadline is %v)", method, u, err, testDeadline)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestAPI(t *testing.T) {
	h := servertest.NewServer(t, gatewayScripts(), servertest.WithConfig(func(c *server.Config) {
		c.RequestTimeout = 300 * time.Millisecond
		c.MaxBodyBytes = 100000
	}))
	code, body, hdr := do(t, "GET", h.URL("/api/tools?greet%201000"), "", map[string]string{"User-Agent": "freeswitch-curl/1.0"})
	if code != 200 || body != "args=greet 1000 caller=None ua=freeswitch-curl/1.0" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Errorf("GET: %d %q %q", code, body, hdr.Get("Content-Type"))
	}
	code, body, _ = do(t, "POST", h.URL("/api/tools"), "caller=1000&lang=en", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if code != 200 || !strings.Contains(body, "caller=1000") {
		t.Errorf("POST form: %d %q", code, body)
	}
	for _, c := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/api/..%2Fetc", "", 400, "bad module name"},
		{"GET", "/api/a..b", "", 400, "bad module name"},
		{"GET", "/api/nothere", "", 404, "no module nothere"},
		{"GET", "/api/tools?boom", "", 500, "script error in tools"},
		{"GET", "/api/tools?slow", "", 504, "timed out"},
		{"POST", "/api/tools", strings.Repeat("a", 200000), 413, "too large"},
		{"PUT", "/api/tools", "", 405, "use GET or POST"},
	} {
		code, body, _ := do(t, c.method, h.URL(c.path), c.body, nil)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s %s: %d %q, want %d %q", c.method, c.path, code, body, c.code, c.want)
		}
		if strings.Contains(body, "Traceback") {
			t.Errorf("%s %s: backtrace leaked into the response: %q", c.method, c.path, body)
		}
	}
	if !strings.Contains(h.Logs(), "kaboom") {
		t.Errorf("the script error is not logged")
	}
	code, body, _ = do(t, "GET", h.URL("/api/tools?big"), "", nil)
	if code != 200 || len(body) != 70000 || !strings.Contains(h.Logs(), "larger than mod_curl reads") {
		t.Errorf("big: %d, %d bytes; want 70000 and a warning", code, len(body))
	}
}

// TestAPIRawSpace sends the request line a URL with a literal space makes.
func TestAPIRawSpace(t *testing.T) {
	h := servertest.NewServer(t, gatewayScripts())
	c, err := net.Dial("tcp", h.Server.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /api/tools?greet 1000 HTTP/1.1\r\nHost: x\r\nUser-Agent: freeswitch-curl/1.0\r\nAccept: */*\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "args=greet 1000 ") {
		t.Errorf("raw space: %d %q", resp.StatusCode, b)
	}
}

func TestToken(t *testing.T) {
	h := servertest.NewServer(t, gatewayScripts(), servertest.WithConfig(func(c *server.Config) { c.HTTPToken = "s3cret" }))
	for _, auth := range []string{"", "Bearer wrong", "s3cret", "Bearer s3cret0"} {
		if code, _, _ := do(t, "GET", h.URL("/api/tools?x"), "", map[string]string{"Authorization": auth}); code != 401 {
			t.Errorf("Authorization %q: %d, want 401", auth, code)
		}
	}
	if code, _, _ := do(t, "GET", h.URL("/api/tools?x"), "", map[string]string{"Authorization": "Bearer s3cret"}); code != 200 {
		t.Errorf("right token: %d", code)
	}
	if code, _, _ := do(t, "GET", h.URL("/healthz"), "", nil); code != 200 {
		t.Errorf("healthz needs no token: %d", code)
	}
	// SIGHUP-style reconfiguration changes the token live.
	cfg := h.Server.Config()
	cfg.HTTPToken = "other"
	if err := h.Server.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := do(t, "GET", h.URL("/api/tools?x"), "", map[string]string{"Authorization": "Bearer other"}); code != 200 {
		t.Errorf("token after Reconfigure: %d", code)
	}
}

// transcriptForm returns the first mod_xml_curl form body recorded from a
// real switch, with the destination number replaced.
func transcriptForm(t *testing.T, section, dest string) string {
	t.Helper()
	b, err := os.ReadFile("../../shared/esl-transcripts/06b-xml-curl-http-parsed.json")
	if err != nil {
		t.Skipf("transcripts not available: %v", err)
	}
	var reqs []struct {
		Form map[string]string `json:"form"`
	}
	if err := json.Unmarshal(b, &reqs); err != nil {
		t.Fatal(err)
	}
	v := url.Values{}
	for k, x := range reqs[0].Form {
		v.Set(k, x)
	}
	v.Set("section", section)
	v.Set("Caller-Destination-Number", dest)
	return v.Encode()
}

func TestXML(t *testing.T) {
	h := servertest.NewServer(t, gatewayScripts(), servertest.WithConfig(func(c *server.Config) {
		c.XMLHandlerScript = "xmlh"
		c.XMLHandlerBindings = []string{"dialplan", "directory"}
		c.XMLFetchTimeout = 200 * time.Millisecond
	}))
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "freeswitch-xml/1.0"}
	code, body, hdr := do(t, "POST", h.URL("/xml"), transcriptForm(t, "dialplan", "7001"), form)
	if code != 200 || !strings.Contains(body, `<section name="dialplan"><context name="`) || hdr.Get("Content-Type") != "text/xml" {
		t.Errorf("dialplan: %d %q %q", code, body, hdr.Get("Content-Type"))
	}
	for name, b := range map[string]string{
		"script error":    transcriptForm(t, "directory", "x"),
		"unbound section": transcriptForm(t, "configuration", "x"),
		"None":            "section=phrases",
		"timeout":         transcriptForm(t, "dialplan", "slow"),
	} {
		code, body, _ := do(t, "POST", h.URL("/xml"), b, form)
		if code != 200 || body != server.NotFoundXML {
			t.Errorf("%s: %d %q, want the not-found document", name, code, body)
		}
	}
	if !strings.Contains(h.Logs(), "xml-fetch-timeout reached") {
		t.Errorf("the slow xml_fetch was not ended by the xml-fetch-timeout:\n%s", h.Logs())
	}
}

func TestRunJobAndMetrics(t *testing.T) {
	h := servertest.NewServer(t, gatewayScripts())
	code, body, _ := do(t, "POST", h.URL("/run/jobs.clean?now"), "", nil)
	var r struct{ Job string }
	if code != 202 || json.Unmarshal([]byte(body), &r) != nil || r.Job == "" {
		t.Fatalf("run: %d %q", code, body)
	}
	waitFor(t, "the job", func() bool { return strings.Contains(h.Logs(), "JOB now") })
	if code, body, _ := do(t, "POST", h.URL("/run/jobs.none"), "", nil); code != 404 {
		t.Errorf("missing job module: %d %q", code, body)
	}
	if code, _, _ := do(t, "POST", h.URL("/run/a/b"), "", nil); code != 400 {
		t.Errorf("bad job module: %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	if err := h.Server.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	_, m, _ := do(t, "GET", h.URL("/metrics"), "", nil)
	for _, want := range []string{`fsstar_entry_calls_total{entry="runtime"} 1`, "fsstar_esl_connected 1", "fsstar_active_calls 0", "fsstar_esl_reconnects_total 0"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
