package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// scenarioHTTP starts the HTTP server of the differential suite on
// 127.0.0.1: a request for /<scenario name>/... goes to that scenario's http
// handler. Both scripts of a scenario find its address in the switch's
// global variable diff_http (set by differential); fsstar is started with it
// in http-allow-hosts, mod_lua's curl needs no allowing.
func scenarioHTTP(t *testing.T) (srv *httptest.Server, hostport string) {
	t.Helper()
	byName := map[string]http.HandlerFunc{}
	for _, sc := range scenarios {
		if sc.http != nil {
			byName[sc.name] = sc.http
		}
	}
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		h, ok := byName[name]
		if !ok {
			http.Error(w, "no scenario "+name, http.StatusNotFound)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return srv, u.Host
}
