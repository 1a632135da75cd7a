package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/loader"
)

// CurlMaxBytes is how much of a response mod_curl reads by default; larger
// fsapi responses are sent but logged with a warning.
const CurlMaxBytes = 64000

// Handler returns the HTTP gateway: /api/<module>, /xml, /run/<module>,
// /metrics and /healthz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", s.serveHealth)
	mux.Handle("/metrics", s.auth(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})))
	mux.Handle("/api/", s.auth(http.HandlerFunc(s.serveAPI)))
	mux.Handle("/xml", s.auth(http.HandlerFunc(s.serveXML)))
	mux.Handle("/run/", s.auth(http.HandlerFunc(s.serveRun)))
	return mux
}

// auth checks the bearer token (constant-time) when http-token is set, and
// bounds the request body.
func (s *Server) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cfg := s.Config()
		if cfg.HTTPToken != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(cfg.HTTPToken)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="fsstar"`)
				http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
				return
			}
		}
		if r.ContentLength > cfg.MaxBodyBytes {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, cfg.MaxBodyBytes)
		h.ServeHTTP(w, r)
	})
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "draining\n")
		return
	}
	// One line per switch; the first switch's lines name no address.
	var b strings.Builder
	b.WriteString("ok\n")
	for _, l := range s.links {
		at := ""
		if l.idx > 0 {
			at = " " + l.addr
		}
		state := "connected"
		if c := l.client(); c == nil || !c.Stats().Connected {
			state = "not connected"
		}
		fmt.Fprintf(&b, "esl%s: %s\n", at, state)
		if l.park != nil {
			state = "starting"
			if l.park.started.Load() {
				state = "ready"
			}
			fmt.Fprintf(&b, "park%s: %s\n", at, state)
		}
	}
	io.WriteString(w, b.String())
}

// allowMethods answers 405 with an Allow header ("use GET or POST") unless
// the request's method is one of methods.
func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "use "+strings.Join(methods, " or "), http.StatusMethodNotAllowed)
	return false
}

// readBody reads a bounded body, answering 413 when it is too large.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "reading request body: "+err.Error(), http.StatusBadRequest)
		}
		return nil, false
	}
	return b, true
}

// moduleFromPath takes the module name after prefix, answering 400 for a
// name the loader would refuse.
func moduleFromPath(w http.ResponseWriter, r *http.Request, prefix string) (string, bool) {
	name := strings.TrimPrefix(r.URL.Path, prefix)
	if _, _, err := loader.ParseSpec(name); err != nil {
		http.Error(w, "bad module name: "+err.Error(), http.StatusBadRequest)
		return "", false
	}
	return name, true
}

// queryArgs is the args string of a request: the raw query, %XX and '+'
// decoded (mod_curl sends `?arg1 arg2` or `?arg1%20arg2`).
func queryArgs(r *url.URL) string {
	if a, err := url.QueryUnescape(r.RawQuery); err == nil {
		return a
	}
	return r.RawQuery
}

// formPairs decodes an application/x-www-form-urlencoded body keeping the
// order of the fields.
func formPairs(body string) (order []string, vals map[string]string) {
	vals = map[string]string{}
	for _, kv := range strings.Split(body, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if _, seen := vals[k]; !seen {
			order = append(order, k)
		}
		vals[k] = v
	}
	return order, vals
}

func isForm(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// serveAPI runs fsapi(None, stream, env, args): env carries the query and
// form params and the request headers; the body is what the script wrote.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	module, ok := moduleFromPath(w, r, "/api/")
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	env := esl.NewEvent("API", "")
	env.Headers.Add("HTTP-Method", r.Method)
	env.Headers.Add("HTTP-URI", r.URL.RequestURI())
	env.Headers.Add("HTTP-Query", r.URL.RawQuery)
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && strings.Contains(r.URL.RawQuery, "=") {
		for k, vs := range q {
			for _, v := range vs {
				env.Headers.Add(k, v)
			}
		}
	}
	args := queryArgs(r.URL)
	if len(body) > 0 {
		if isForm(r) {
			order, vals := formPairs(string(body))
			for _, k := range order {
				env.Headers.Add(k, vals[k])
			}
		}
		env.Body = body
	}
	for k, vs := range r.Header {
		if k == "Authorization" {
			continue
		}
		env.Headers.Add("HTTP-"+k, strings.Join(vs, ", "))
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.Config().RequestTimeout)
	defer cancel()
	out, err := s.FSAPI(ctx, module, args, env)
	if err != nil {
		s.metrics.scriptErrors.WithLabelValues("fsapi").Inc()
		s.log.Error("fsapi failed", "module", module, "error", err)
		status := http.StatusInternalServerError
		msg := "script error in " + module
		switch {
		case errors.Is(err, loader.ErrNotFound):
			status, msg = http.StatusNotFound, "no module "+module
		case ctx.Err() != nil:
			status, msg = http.StatusGatewayTimeout, "fsapi of "+module+" timed out"
		}
		http.Error(w, msg, status)
		return
	}
	if len(out) > CurlMaxBytes {
		s.log.Warn("fsapi response is larger than mod_curl reads by default (64,000 bytes)", "module", module, "bytes", len(out))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, out)
}

// serveXML answers mod_xml_curl's form post with xml_fetch's document or
// the not-found document; it never answers an error status, so the switch
// always falls back cleanly.
func (s *Server) serveXML(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodPost) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	order, params := formPairs(string(body))
	doc, _, err := s.XMLFetch(r.Context(), params, order)
	if err != nil {
		s.metrics.scriptErrors.WithLabelValues("xml_fetch").Inc()
		s.log.Error("xml_fetch failed; answering not found", "section", params["section"], "error", err)
	}
	w.Header().Set("Content-Type", "text/xml")
	io.WriteString(w, doc)
}

// serveRun starts runtime(args) in the background and answers its job id.
func (s *Server) serveRun(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodPost) {
		return
	}
	module, ok := moduleFromPath(w, r, "/run/")
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	args := queryArgs(r.URL)
	if args == "" && !isForm(r) {
		args = strings.TrimSpace(string(body))
	}
	if _, err := s.ld.Find(strings.SplitN(module, "::", 2)[0]); err != nil {
		http.Error(w, "no module "+module, http.StatusNotFound)
		return
	}
	id, err := s.StartJob(module, args)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(map[string]string{"job": id, "module": module})
}
