package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

const fuzzSecret = "TOPSECRET-outside-the-roots"

// fuzzServer is a Server that was never started (servertest.Unstarted: no
// listeners, the switch never dialled): its Handler() runs scripts that echo
// what they get, one that fails, one that reads files, and an xml_fetch
// handler. A file outside the root holds fuzzSecret and is reachable only
// through a symlink in the root.
func fuzzServer(f *testing.F) *server.Server {
	dir := f.TempDir()
	outside := f.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte(fuzzSecret), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		f.Skip("no symlinks:", err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "secret.txt")); err != nil {
		f.Fatal(err)
	}
	scripts := map[string]string{
		"rel/api.star": `
def fsapi(session, stream, env, args):
    stream.write("args=" + args + "\n")
    stream.write(env.serialize() if hasattr(env, "serialize") else str(env))
`,
		"rel/fail.star": `
def fsapi(session, stream, env, args):
    fail("script failure: " + args)
`,
		"rel/read.star": `
def fsapi(session, stream, env, args):
    if files.exists(args):
        stream.write(files.read(args))
    else:
        stream.write("absent")
`,
		"rel/job.star": `
def runtime(args):
    print("job", args)
`,
		"rel/xml.star": `
def xml_fetch(params):
    if params.get("section") == "fail":
        fail("bad section")
    return '<document type="freeswitch/xml"><section name="dialplan"/></document>'
`,
		"data/ok.txt": "readable\n",
	}
	h := servertest.NewServer(f, scripts, servertest.Unstarted(), servertest.WithDir(dir),
		servertest.WithLogger(hclog.NewNullLogger()),
		servertest.WithConfig(func(cfg *server.Config) {
			cfg.RequestTimeout = 3 * time.Second
			cfg.XMLFetchTimeout = 2 * time.Second
			cfg.XMLHandlerScript = "rel.xml"
			cfg.XMLHandlerBindings = []string{"dialplan", "fail"}
			cfg.MaxBodyBytes = 64 << 10
		}))
	return h.Server
}

var fuzzPrefixes = []string{"/api/", "/xml", "/run/", "/metrics", "/healthz", "/", "/api/rel.", "/api/rel.read?", "/run/rel."}
var fuzzMethods = []string{"GET", "POST", "PUT", "HEAD", "OPTIONS", "DELETE"}
var fuzzTypes = []string{"", "application/x-www-form-urlencoded", "text/plain", "application/json; charset=utf-8"}

// FuzzHandler sends arbitrary requests (method, path, query, body, content
// type) to the HTTP gateway. Invariants: no panic; an answer within a
// bounded time; never a 5xx except the 500 of a failing script; /xml never
// answers an error for a well-formed POST; no file outside the script root
// ever shows up in a response.
func FuzzHandler(f *testing.F) {
	srv := fuzzServer(f)
	h := srv.Handler()
	seeds := []struct {
		sel  uint8
		path string
		q    string
		body []byte
	}{
		{0, "rel.api", "arg1 arg2", nil},
		{0, "rel.api", "a=1&b=%20x&c", []byte("k=v&k2=%41")},
		{0, "rel.fail", "boom", nil},
		{0, "rel.read", "data/ok.txt", nil},
		{0, "rel.read", "../secret.txt", nil},
		{0, "rel.read", "out/secret.txt", nil},
		{0, "rel.read", "secret.txt", nil},
		{0, "rel.read", "%2e%2e/secret.txt", nil},
		{0, "rel.read", "/etc/passwd", nil},
		{0, "..%2f..%2fetc%2fpasswd", "", nil},
		{0, "%2e%2e", "", nil},
		{0, "%252e%252e%252fsecret", "", nil},
		{0, "rel.api::fsapi", "", nil},
		{0, "out.secret", "", nil},
		{1, "", "", []byte("section=dialplan&key_value=x")},
		{1, "", "", []byte("section=fail")},
		{1, "", "", []byte("section=directory&%zz=%")},
		{2, "rel.job", "x y", []byte("body args")},
		{2, "../rel.job", "", nil},
		{3, "", "", nil},
		{4, "", "", nil},
		{5, "api/../run/rel.job", "", nil},
		{6, "", "", nil},
		{7, "", "data/../../secret.txt", nil},
		{7, "", "out/../out/secret.txt", nil},
	}
	for _, s := range seeds {
		f.Add(s.sel, s.path, s.q, s.body)
	}
	f.Fuzz(func(t *testing.T, sel uint8, path, query string, body []byte) {
		prefix := fuzzPrefixes[int(sel)%len(fuzzPrefixes)]
		method := fuzzMethods[int(sel/16)%len(fuzzMethods)]
		ctype := fuzzTypes[int(sel/64)%len(fuzzTypes)]
		if prefix == "/xml" && sel/16%3 == 0 {
			method = "POST"
		}
		full := prefix + path
		u, err := url.Parse(full)
		if err != nil || u.Host != "" || u.Scheme != "" {
			u = &url.URL{Path: full}
		}
		if query != "" {
			u.RawQuery = query
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r := (&http.Request{
			Method:     method,
			URL:        u,
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     http.Header{},
			Body:       io.NopCloser(bytes.NewReader(body)),
			Host:       "127.0.0.1:8041",
			RemoteAddr: "127.0.0.1:40000",
			RequestURI: u.RequestURI(),
		}).WithContext(ctx)
		r.ContentLength = int64(len(body))
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, r)
		if d := time.Since(start); d > 8*time.Second {
			t.Fatalf("%s %s took %v", method, u, d)
		}
		resp := w.Body.String()
		if strings.Contains(resp, fuzzSecret) {
			t.Fatalf("%s %s?%s read a file outside the script root", method, u.Path, u.RawQuery)
		}
		switch {
		case w.Code < 500:
		case w.Code == 500 && strings.HasPrefix(resp, "script error in "):
		default:
			t.Fatalf("%s %s?%s answered %d %q", method, u.Path, u.RawQuery, w.Code, resp)
		}
		if method == "POST" && u.Path == "/xml" && w.Code != 200 && w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("/xml answered %d %q", w.Code, resp)
		}
	})
}
