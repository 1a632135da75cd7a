package http

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hostOf is the host:port of an httptest server.
func hostOf(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// newClient is a Client over cfg whose idle connections close with the test.
func newClient(t *testing.T, cfg Config, allow ...string) *Client {
	t.Helper()
	a, err := ParseAllowList(allow...)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AllowHosts = a
	c := NewClient(cfg)
	t.Cleanup(c.Close)
	return c
}

// exec runs src with http and json predeclared and srv's URL as URL; ctx,
// when set, is the call's context. It fails the test if the script has not
// returned within a minute (it never should: every request has a timeout).
func exec(t *testing.T, c *Client, ctx context.Context, base, src string) (starlark.StringDict, error) {
	t.Helper()
	env := Env{}
	if ctx != nil {
		env.Context = func(*starlark.Thread) context.Context { return ctx }
	}
	pre := starlark.StringDict{"http": Module(c, env), "json": json.Module, "URL": starlark.String(base)}
	type result struct {
		g   starlark.StringDict
		err error
	}
	done := make(chan result, 1)
	go func() {
		g, err := starlark.ExecFile(&starlark.Thread{Name: t.Name()}, "test.star", src, pre)
		done <- result{g, err}
	}()
	select {
	case r := <-done:
		return r.g, r.err
	case <-time.After(time.Minute):
		t.Fatal("the script did not return within a minute")
		return nil, nil
	}
}

func mustErr(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one with %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func TestNothingAllowedUntilConfigured(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c := newClient(t, Config{})
	_, err := exec(t, c, nil, srv.URL, `http.get(URL + "/x?token=secret")`)
	mustErr(t, err, "http.get", ParamAllowHosts, hostOf(t, srv), "no host is until")
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the query: %v", err)
	}
	if hits.Load() != 0 {
		t.Errorf("the server got %d requests", hits.Load())
	}

	// Another port of the same host is not allowed by host:port.
	u, _ := url.Parse(srv.URL)
	c = newClient(t, Config{}, u.Hostname()+":1")
	_, err = exec(t, c, nil, srv.URL, `http.get(URL)`)
	mustErr(t, err, "is not allowed by "+ParamAllowHosts, u.Hostname()+":1")
	if hits.Load() != 0 {
		t.Errorf("the server got %d requests", hits.Load())
	}
}

func TestJSONRoundTrip(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("X-Seen", r.Method)
		w.Header().Add("X-Seen", r.Header.Get("Content-Type"))
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"method": %q, "query": %q, "auth": %q, "got": %s}`, r.Method, r.URL.RawQuery, r.Header.Get("Authorization"), b)
	}))
	defer srv.Close()
	c := newClient(t, Config{}, hostOf(t, srv))
	g, err := exec(t, c, nil, srv.URL, `
sent = {"number": "+33 1 23", "tags": [1, 2.5, True, None], "nested": {"é": "ü"}}
r = http.post(URL + "/crm", params={"q": "a b&c", "n": [1, 2]}, headers={"Authorization": "Bearer t"}, json=sent)
d = r.json()
status, ok = r.status, r.ok
same = d["got"] == sent
method, query, auth = d["method"], d["query"], d["auth"]
ctype = r.headers["content-type"]
seen = r.headers.get("x-SEEN")
seen_all = r.headers.get_all("X-Seen")
missing = r.headers.get("X-None", "dflt")
has = "CONTENT-TYPE" in r.headers
`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"status": "201", "ok": "True", "same": "True", "method": `"POST"`,
		"query": `"n=1&n=2&q=a+b%26c"`, "auth": `"Bearer t"`, "ctype": `"application/json"`,
		"seen": `"POST, application/json"`, "seen_all": `["POST", "application/json"]`,
		"missing": `"dflt"`, "has": "True",
	}
	for k, v := range want {
		if got := g[k].String(); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
}

func TestFormBodyAndArgumentErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		fmt.Fprintf(w, "%s|%s|%s", r.Method, r.Header.Get("Content-Type"), r.PostForm.Encode())
	}))
	defer srv.Close()
	c := newClient(t, Config{}, hostOf(t, srv))
	g, err := exec(t, c, nil, srv.URL, `body = http.request("patch", URL, body={"a": "1 2", "b": True}).body`)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(g["body"].(starlark.String)); got != "PATCH|application/x-www-form-urlencoded|a=1+2&b=true" {
		t.Errorf("body = %q", got)
	}
	for src, want := range map[string]string{
		`http.post(URL, body="x", json={})`: "give body or json, not both",
		`http.get("ftp://x/")`:              "want an http:// or https:// URL",
		`http.get(URL, timeout=0)`:          ParamMaxTimeout,
		`http.get(URL, timeout=3600)`:       ParamMaxTimeout,
		`http.get(URL, timeout="2h")`:       ParamMaxTimeout,
		`http.get(URL, headers={"a": 1})`:   "headers: want str",
		`http.get(URL, params={"a": {}})`:   "params: a: want str",
		`http.request("GE T", URL)`:         "method",
		`http.post(URL, json=lambda: 1)`:    "json: json.encode",
		`http.get(URL).json()`:              "http.response.json",
	} {
		_, err := exec(t, c, nil, srv.URL, src)
		mustErr(t, err, want)
	}
}

func TestRedirects(t *testing.T) {
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { otherHits.Add(1) }))
	defer other.Close()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/x?k=secret", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, srv.URL+"/loop", http.StatusFound)
		case "/hop":
			http.Redirect(w, r, srv.URL+"/end", http.StatusMovedPermanently)
		default:
			io.WriteString(w, "end")
		}
	}))
	defer srv.Close()
	c := newClient(t, Config{MaxRedirects: 3}, hostOf(t, srv))

	_, err := exec(t, c, nil, srv.URL, `http.get(URL + "/away")`)
	mustErr(t, err, "redirect to "+other.URL+"/x", "is not allowed by "+ParamAllowHosts)
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the query: %v", err)
	}
	if otherHits.Load() != 0 {
		t.Errorf("the other host got %d requests", otherHits.Load())
	}

	_, err = exec(t, c, nil, srv.URL, `http.get(URL + "/loop")`)
	mustErr(t, err, "stopped after 3 redirects ("+ParamMaxRedirects+")")

	g, err := exec(t, c, nil, srv.URL, `r = http.get(URL + "/hop"); got = (r.url, r.body)`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g["got"].String(), fmt.Sprintf("(%q, \"end\")", srv.URL+"/end"); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	c := newClient(t, Config{Timeout: 50 * time.Millisecond}, hostOf(t, srv))
	_, err := exec(t, c, nil, srv.URL, `http.get(URL)`)
	mustErr(t, err, "http.get "+srv.URL+": timed out after 50ms")
	_, err = exec(t, c, nil, srv.URL, `http.get(URL, timeout=0.02)`)
	mustErr(t, err, "timed out after 20ms")
	_, err = exec(t, c, nil, srv.URL, `http.get(URL, timeout="30ms")`)
	mustErr(t, err, "timed out after 30ms")
}

func TestResponseSizeCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 1000
		if r.URL.Path == "/big" {
			n = 1001
		}
		if r.URL.Query().Get("chunked") != "" {
			w.(http.Flusher).Flush() // no Content-Length
		}
		w.Write([]byte(strings.Repeat("x", n)))
	}))
	defer srv.Close()
	c := newClient(t, Config{MaxResponseBytes: 1000}, hostOf(t, srv))
	g, err := exec(t, c, nil, srv.URL, `n = len(http.get(URL + "/ok").body)`)
	if err != nil || g["n"].String() != "1000" {
		t.Fatalf("a body at the cap: %v %v", g["n"], err)
	}
	_, err = exec(t, c, nil, srv.URL, `http.get(URL + "/big")`)
	mustErr(t, err, "1001 bytes is over "+ParamMaxResponseBytes+" (1000 bytes)")
	_, err = exec(t, c, nil, srv.URL, `http.get(URL + "/big?chunked=1")`)
	mustErr(t, err, "is over "+ParamMaxResponseBytes+" (1000 bytes)")
}

func TestCancelledWithTheCall(t *testing.T) {
	reached := make(chan struct{})
	serverSawCancel := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(reached)
		select {
		case <-r.Context().Done():
			close(serverSawCancel)
		case <-time.After(time.Minute):
		}
	}))
	defer srv.Close()
	c := newClient(t, Config{Timeout: time.Minute}, hostOf(t, srv))
	hungUp := errors.New("session hung up")
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		<-reached
		cancel(hungUp)
	}()
	_, err := exec(t, c, ctx, srv.URL, `http.get(URL)`)
	mustErr(t, err, "cancelled: session hung up")
	select {
	case <-serverSawCancel:
	case <-time.After(10 * time.Second):
		t.Error("the server never saw the request end")
	}
	// A call already ended sends nothing.
	_, err = exec(t, c, ctx, srv.URL, `http.get(URL)`)
	mustErr(t, err, "not sent: session hung up")
}

func TestWildcardNeverReachesLoopback(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); io.WriteString(w, "hi") }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(hostOf(t, srv))
	for _, allow := range []string{"*", "*:" + port} {
		c := newClient(t, Config{}, allow)
		for _, u := range []string{srv.URL, "http://localhost:" + port, "http://[::ffff:127.0.0.1]:" + port} {
			_, err := exec(t, c, nil, u, `http.get(URL)`)
			mustErr(t, err, "a loopback or link-local address that a wildcard of "+ParamAllowHosts+" does not reach")
		}
	}
	c := newClient(t, Config{}, "*.localhost")
	_, err := exec(t, c, nil, "http://crm.localhost:"+port, `http.get(URL)`)
	if err == nil || !strings.Contains(err.Error(), "loopback") && !strings.Contains(err.Error(), "no such host") {
		t.Errorf("*.localhost reached a loopback address: %v", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("a wildcard reached the loopback server %d times", hits.Load())
	}
	// Listed exactly, by address or by name, it is reachable.
	for _, allow := range []string{"127.0.0.1:" + port, "localhost"} {
		c := newClient(t, Config{}, allow)
		base := srv.URL
		if allow == "localhost" {
			base = "http://localhost:" + port
		}
		g, err := exec(t, c, nil, base, `b = http.get(URL).body`)
		if err != nil || g["b"].String() != `"hi"` {
			t.Errorf("allow %s: %v %v", allow, g["b"], err)
		}
	}
}

func TestTLSIsVerified(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure") }))
	defer srv.Close()
	c := newClient(t, Config{}, hostOf(t, srv))
	_, err := exec(t, c, nil, srv.URL, `http.get(URL)`)
	mustErr(t, err, "certificate")
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c = newClient(t, Config{RootCAs: pool}, hostOf(t, srv))
	g, err := exec(t, c, nil, srv.URL, `b = http.get(URL).body`)
	if err != nil || g["b"].String() != `"secure"` {
		t.Fatalf("with the server's CA: %v %v", g["b"], err)
	}
}

func TestParseAllowList(t *testing.T) {
	a, err := ParseAllowList("crm.example.com, api.example.com:8443", "*.svc.example.org 10.0.0.5:80,[::1]:8080 ::2")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		host, port     string
		allowed, exact bool
	}{
		{"crm.example.com", "443", true, true},
		{"CRM.Example.com", "8080", true, true},
		{"api.example.com", "8443", true, true},
		{"api.example.com", "443", false, false},
		{"a.svc.example.org", "443", true, false},
		{"a.b.svc.example.org", "80", true, false},
		{"svc.example.org", "443", false, false},
		{"evilsvc.example.org", "443", false, false},
		{"10.0.0.5", "80", true, true},
		{"10.0.0.5", "81", false, false},
		{"::1", "8080", true, true},
		{"::2", "1", true, true},
		{"example.com", "443", false, false},
	} {
		allowed, exact := a.match(c.host, c.port)
		if allowed != c.allowed || exact != c.exact {
			t.Errorf("%s:%s: allowed %v exact %v, want %v %v", c.host, c.port, allowed, exact, c.allowed, c.exact)
		}
	}
	for _, bad := range []string{"http://x.com", "x.com:0", "x.com:http", "a*.com", "*.", "x..com", "ex ample:99999", "[::1"} {
		if _, err := ParseAllowList(bad); err == nil || !strings.Contains(err.Error(), ParamAllowHosts) {
			t.Errorf("%q: err %v, want one naming %s", bad, err, ParamAllowHosts)
		}
	}
	if a, err := ParseAllowList("", " , "); err != nil || a.Len() != 0 {
		t.Errorf("empty: %v %v", a, err)
	}
}

// BenchmarkGet is the cost of one http.get of a small body from a local
// server, Starlark call included.
func BenchmarkGet(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"name": "Alice"}`) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	a, _ := ParseAllowList(u.Host)
	c := NewClient(Config{AllowHosts: a})
	defer c.Close()
	get := Module(c, Env{}).Members["get"]
	thread := &starlark.Thread{}
	args := starlark.Tuple{starlark.String(srv.URL + "/crm")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := starlark.Call(thread, get, args, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAllowFailReturnsTheError(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
		io.WriteString(w, "fine")
	}))
	defer srv.Close()
	c := newClient(t, Config{}, hostOf(t, srv))
	g, err := exec(t, c, nil, srv.URL, `
ok = http.get(URL, allow_fail=True)
good = (ok.status, ok.ok, ok.error, ok.body)
slow = http.get(URL + "/slow", timeout=0.02, allow_fail=True)
bad = http.post("http://not-allowed.example:81/x?k=secret", json={}, allow_fail=True)
got = [(r.status, r.ok, r.body, r.url, len(r.headers)) for r in (slow, bad)]
`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g["good"].String(), `(200, True, None, "fine")`; got != want {
		t.Errorf("a request that worked: %s, want %s", got, want)
	}
	if got, want := g["got"].String(), fmt.Sprintf(`[(0, False, "", %q, 0), (0, False, "", "http://not-allowed.example:81/x", 0)]`, srv.URL+"/slow"); got != want {
		t.Errorf("failed requests: %s, want %s", got, want)
	}
	for k, want := range map[string]string{
		"slow": "http.get " + srv.URL + "/slow: timed out after 20ms",
		"bad":  "http.post http://not-allowed.example:81/x: host not-allowed.example:81 is not allowed by " + ParamAllowHosts,
	} {
		r := g[k].(*Response)
		if e, _ := r.Attr("error"); !strings.Contains(e.String(), want) {
			t.Errorf("%s.error = %s, want %q in it", k, e, want)
		}
	}
	g, err = exec(t, c, nil, srv.URL, `d = http.get(URL).json(default={"none": True})`)
	if err != nil || g["d"].String() != `{"none": True}` {
		t.Errorf("json(default=...) of a body that is not JSON: %v %v", g["d"], err)
	}
	// Bad arguments raise all the same.
	_, err = exec(t, c, nil, srv.URL, `http.get(URL, timeout=-1, allow_fail=True)`)
	mustErr(t, err, ParamMaxTimeout)
}
