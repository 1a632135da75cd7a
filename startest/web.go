package startest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// maxWebBody bounds what the test web server keeps of a request body.
const maxWebBody = 1 << 20

// web is the local HTTP server of a test run, standing in for the services
// scripts call with the http module (a CRM, a routing API): a test declares
// its answers with t.http(...) and reads what the scripts sent with
// t.http_requests(). It listens on 127.0.0.1, and its host:port is the one
// entry of the server's http-allow-hosts, so scripts reach it and nothing
// else. Routes and requests are per test: runOne resets them.
type web struct {
	srv *httptest.Server

	mu     sync.Mutex
	routes map[string]webRoute // "GET /path" or " /path" (any method)
	reqs   []webRequest
}

// webRoute is one canned answer.
type webRoute struct {
	status int
	header http.Header
	body   []byte
	delay  time.Duration // real time
}

// webRequest is one request the scripts sent.
type webRequest struct {
	method, path, query, body string
	header                    http.Header
}

func newWeb() *web {
	w := &web{routes: map[string]webRoute{}}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	return w
}

// hostPort is the server's address, as http-allow-hosts takes it.
func (w *web) hostPort() string { return strings.TrimPrefix(w.srv.URL, "http://") }

func (w *web) close() { w.srv.Close() }

func (w *web) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.routes = map[string]webRoute{}
	w.reqs = nil
}

func (w *web) serve(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxWebBody))
	w.mu.Lock()
	w.reqs = append(w.reqs, webRequest{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, body: string(body), header: r.Header.Clone()})
	route, ok := w.routes[r.Method+" "+r.URL.Path]
	if !ok {
		route, ok = w.routes[" "+r.URL.Path]
	}
	w.mu.Unlock()
	if !ok {
		http.Error(rw, "no t.http answer for "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	if route.delay > 0 {
		select {
		case <-time.After(route.delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, vs := range route.header {
		rw.Header()[k] = vs
	}
	rw.WriteHeader(route.status)
	rw.Write(route.body)
}

// http is t.http(path, body="", status=200, json=None, headers={},
// method="", delay_ms=0): from now until the test ends, the run's web server
// answers requests for path (of any method, or only method) with status and
// body, or json encoded as the json module does (Content-Type
// application/json), after delay_ms of real time (the http module's
// timeouts are real time, not the simulated switch's clock). It returns the
// route's URL, for the script (pass it in a channel variable or an
// argument).
func (t *T) http(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path, body, method string
	status, delayMS := http.StatusOK, 0
	var js starlark.Value = starlark.None
	headers := new(starlark.Dict)
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "path", &path, "body?", &body, "status?", &status,
		"json?", &js, "headers?", &headers, "method?", &method, "delay_ms?", &delayMS); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?# \t\r\n") {
		return nil, fmt.Errorf("%s: path %q must start with / and hold no query, fragment or blank", fn.Name(), path)
	}
	if status < 100 || status > 999 {
		return nil, fmt.Errorf("%s: invalid status %d", fn.Name(), status)
	}
	if delayMS < 0 {
		return nil, fmt.Errorf("%s: negative delay_ms %d", fn.Name(), delayMS)
	}
	route := webRoute{status: status, header: http.Header{}, body: []byte(body), delay: time.Duration(delayMS) * time.Millisecond}
	if js != starlark.None {
		if body != "" {
			return nil, fmt.Errorf("%s: give body or json, not both", fn.Name())
		}
		enc, err := starlark.Call(thread, json.Module.Members["encode"], starlark.Tuple{js}, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: json: %w", fn.Name(), err)
		}
		route.body = []byte(string(enc.(starlark.String)))
		route.header.Set("Content-Type", "application/json")
	}
	for _, kv := range headers.Items() {
		k, ok1 := starlark.AsString(kv[0])
		v, ok2 := starlark.AsString(kv[1])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s: headers must map strings to strings", fn.Name())
		}
		route.header.Set(k, v)
	}
	t.env.web.mu.Lock()
	t.env.web.routes[strings.ToUpper(method)+" "+path] = route
	t.env.web.mu.Unlock()
	return starlark.String(t.env.web.srv.URL + path), nil
}

// httpRequests is t.http_requests(): the requests the scripts sent to the
// run's web server since the test began, in order, each a struct with
// method, path, query, body and headers (a dict of the first value of each
// header, names canonical: "Content-Type").
func (t *T) httpRequests(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	t.env.web.mu.Lock()
	reqs := append([]webRequest(nil), t.env.web.reqs...)
	t.env.web.mu.Unlock()
	out := make([]starlark.Value, len(reqs))
	for i, r := range reqs {
		h := new(starlark.Dict)
		names := make([]string, 0, len(r.header))
		for k := range r.header {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			h.SetKey(starlark.String(k), starlark.String(r.header.Get(k)))
		}
		out[i] = starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
			"method":  starlark.String(r.method),
			"path":    starlark.String(r.path),
			"query":   starlark.String(r.query),
			"body":    starlark.String(r.body),
			"headers": h,
		})
	}
	return starlark.NewList(out), nil
}
