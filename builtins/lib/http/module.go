package http

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fsstar/fsstar/builtins/lib/internal/libutil"
	"github.com/hashicorp/go-hclog"
	"go.starlark.net/lib/json"
	sttime "go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// Env is what the module needs from the thread that calls it: the call's
// context (hangup past grace, the request's deadline, shutdown) and its
// logger. Nil functions mean context.Background and no logging.
type Env struct {
	Context func(*starlark.Thread) context.Context
	Logger  func(*starlark.Thread) hclog.Logger
}

// Module returns the frozen `http` module over c (see the package
// documentation). A nil c allows no host.
func Module(c *Client, env Env) *starlarkstruct.Module {
	if c == nil {
		c = NewClient(Config{})
	}
	m := &module{c: c, env: env}
	mod := &starlarkstruct.Module{
		Name: "http",
		Members: starlark.StringDict{
			"get":     builtin("http.get", m.method("GET")),
			"post":    builtin("http.post", m.method("POST")),
			"put":     builtin("http.put", m.method("PUT")),
			"delete":  builtin("http.delete", m.method("DELETE")),
			"request": builtin("http.request", m.request),
		},
	}
	mod.Freeze()
	return mod
}

type module struct {
	c   *Client
	env Env
}

type builtinFunc = libutil.Func

// builtin returns a builtin whose panics become errors naming it.
func builtin(name string, impl builtinFunc) *starlark.Builtin { return libutil.Builtin(name, impl) }

// reqArgs are a request's arguments, unpacked.
type reqArgs struct {
	method  string
	url     string
	params  *starlark.Dict
	headers *starlark.Dict
	body    starlark.Value
	json    starlark.Value
	timeout starlark.Value
	// allowFail: a request that fails returns a Response with status 0 and
	// the error, rather than raising.
	allowFail bool
}

func (m *module) method(method string) builtinFunc {
	return func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		a := reqArgs{method: method}
		var err error
		if method == "GET" {
			err = starlark.UnpackArgs(fn.Name(), args, kwargs, "url", &a.url, "params?", &a.params, "headers?", &a.headers, "timeout?", &a.timeout, "allow_fail?", &a.allowFail)
		} else {
			err = starlark.UnpackArgs(fn.Name(), args, kwargs, "url", &a.url, "params?", &a.params, "headers?", &a.headers,
				"body?", &a.body, "json?", &a.json, "timeout?", &a.timeout, "allow_fail?", &a.allowFail)
		}
		if err != nil {
			return nil, err
		}
		return m.do(thread, fn.Name(), a)
	}
}

func (m *module) request(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a reqArgs
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "method", &a.method, "url", &a.url, "params?", &a.params, "headers?", &a.headers,
		"body?", &a.body, "json?", &a.json, "timeout?", &a.timeout, "allow_fail?", &a.allowFail); err != nil {
		return nil, err
	}
	a.method = strings.ToUpper(a.method)
	if a.method == "" || strings.ContainsFunc(a.method, func(r rune) bool { return r < 'A' || r > 'Z' }) {
		return nil, fmt.Errorf("%s: method %q: want a name such as GET or PATCH", fn.Name(), a.method)
	}
	return m.do(thread, fn.Name(), a)
}

// do makes the request and reads the response. Errors in the arguments
// always raise; errors of the request raise unless allow_fail.
func (m *module) do(thread *starlark.Thread, name string, a reqArgs) (starlark.Value, error) {
	req, cancel, err := m.prepare(thread, name, a)
	if err != nil {
		return nil, err
	}
	defer cancel()
	resp, err := m.send(thread, req)
	if err != nil {
		err = fmt.Errorf("%s %s: %w", name, redacted(req.URL), err)
		if a.allowFail {
			return failed(req, err), nil
		}
		return nil, err
	}
	return resp, nil
}

// prepare checks the arguments and builds the request, under the call's
// context and the timeout (cancel releases it).
func (m *module) prepare(thread *starlark.Thread, name string, a reqArgs) (*http.Request, context.CancelFunc, error) {
	u, err := url.Parse(a.url)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, nil, fmt.Errorf("%s %s: want an http:// or https:// URL", name, redacted(u))
	}
	if u.Host == "" {
		return nil, nil, fmt.Errorf("%s %s: the URL has no host", name, redacted(u))
	}
	where := name + " " + redacted(u)
	if a.params != nil {
		q := u.Query()
		if err := addParams(q, a.params); err != nil {
			return nil, nil, fmt.Errorf("%s: params: %w", where, err)
		}
		u.RawQuery = q.Encode()
	}
	timeout, err := m.timeout(a.timeout)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", where, err)
	}
	body, ctype, err := requestBody(thread, a)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", where, err)
	}

	ctx := context.Background()
	if m.env.Context != nil {
		ctx = m.env.Context(thread)
	}
	rctx, cancel := context.WithTimeoutCause(ctx, timeout, &timeoutError{timeout})
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, a.method, u.String(), rd)
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("%s: %w", where, err)
	}
	req.Header.Set("User-Agent", "fsstar")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if a.headers != nil {
		for _, kv := range a.headers.Items() {
			k, ok1 := starlark.AsString(kv[0])
			v, ok2 := starlark.AsString(kv[1])
			if !ok1 || !ok2 {
				cancel()
				return nil, nil, fmt.Errorf("%s: headers: want str keys and values, got %s: %s", where, kv[0].Type(), kv[1].Type())
			}
			req.Header.Set(k, v)
		}
	}
	return req, cancel, nil
}

// send makes the request and reads the response (at most
// MaxResponseBytes of body).
func (m *module) send(thread *starlark.Thread, req *http.Request) (*Response, error) {
	rctx := req.Context()
	if err := rctx.Err(); err != nil {
		return nil, fmt.Errorf("not sent: %w", context.Cause(rctx))
	}
	if err := m.c.checkURLHost(req); err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := m.c.client.Do(req)
	if err != nil {
		return nil, reqErr(rctx, err)
	}
	defer resp.Body.Close()
	max := m.c.cfg.MaxResponseBytes
	if resp.ContentLength > max {
		return nil, fmt.Errorf("response body of %d bytes is over %s (%d bytes)", resp.ContentLength, ParamMaxResponseBytes, max)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response: %w", reqErr(rctx, err))
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("response body is over %s (%d bytes)", ParamMaxResponseBytes, max)
	}
	if m.env.Logger != nil {
		if log := m.env.Logger(thread); log != nil && log.IsDebug() {
			log.Debug("http request", "method", req.Method, "url", redacted(req.URL), "status", resp.StatusCode,
				"bytes", len(data), "duration", time.Since(start))
		}
	}
	return newResponse(resp, data), nil
}

// timeoutError is the cause of a request's context when its timeout ends.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return fmt.Sprintf("timed out after %s", e.d) }

// reqErr turns a net/http error into one that says what ended the request:
// the timeout, the call's context, or the transport's error (the URL left
// out: the message has it already, without its query).
func reqErr(rctx context.Context, err error) error {
	if rctx.Err() != nil {
		cause := context.Cause(rctx)
		var te *timeoutError
		if errors.As(cause, &te) {
			return cause
		}
		return fmt.Errorf("cancelled: %w", cause)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// timeout is the request's timeout argument, checked against the config.
func (m *module) timeout(v starlark.Value) (time.Duration, error) {
	cfg := m.c.cfg
	if v == nil || v == starlark.None {
		return cfg.Timeout, nil
	}
	var d time.Duration
	switch x := v.(type) {
	case starlark.Int, starlark.Float:
		f, _ := starlark.AsFloat(x)
		if math.IsNaN(f) || f <= 0 || f > cfg.MaxTimeout.Seconds() {
			return 0, fmt.Errorf("timeout=%s: want seconds above 0 and at most %s (%s)", v, cfg.MaxTimeout, ParamMaxTimeout)
		}
		d = time.Duration(f * float64(time.Second))
	default:
		var sd sttime.Duration
		if err := sd.Unpack(v); err != nil {
			return 0, fmt.Errorf("timeout: %w", err)
		}
		d = time.Duration(sd)
	}
	if d <= 0 || d > cfg.MaxTimeout {
		return 0, fmt.Errorf("timeout=%s: want above 0 and at most %s (%s)", d, cfg.MaxTimeout, ParamMaxTimeout)
	}
	return d, nil
}

// requestBody is the body and its content type from body= or json=.
func requestBody(thread *starlark.Thread, a reqArgs) ([]byte, string, error) {
	isSet := func(v starlark.Value) bool { return v != nil && v != starlark.None }
	switch {
	case isSet(a.body) && isSet(a.json):
		return nil, "", errors.New("give body or json, not both")
	case isSet(a.json):
		v, err := starlark.Call(thread, json.Module.Members["encode"], starlark.Tuple{a.json}, nil)
		if err != nil {
			return nil, "", fmt.Errorf("json: %w", err)
		}
		return []byte(string(v.(starlark.String))), "application/json", nil
	case isSet(a.body):
		switch b := a.body.(type) {
		case starlark.String:
			return []byte(string(b)), "", nil
		case starlark.Bytes:
			return []byte(string(b)), "", nil
		case *starlark.Dict:
			form := url.Values{}
			if err := addParams(form, b); err != nil {
				return nil, "", fmt.Errorf("body: %w", err)
			}
			return []byte(form.Encode()), "application/x-www-form-urlencoded", nil
		}
		return nil, "", fmt.Errorf("body: want str or dict, got %s", a.body.Type())
	}
	return nil, "", nil
}

// addParams adds a dict of query or form values to q.
func addParams(q url.Values, d *starlark.Dict) error {
	for _, kv := range d.Items() {
		k, ok := starlark.AsString(kv[0])
		if !ok {
			return fmt.Errorf("want str keys, got %s", kv[0].Type())
		}
		if l, ok := kv[1].(*starlark.List); ok {
			for i := 0; i < l.Len(); i++ {
				s, err := paramString(l.Index(i))
				if err != nil {
					return fmt.Errorf("%s[%d]: %w", k, i, err)
				}
				q.Add(k, s)
			}
			continue
		}
		s, err := paramString(kv[1])
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		q.Add(k, s)
	}
	return nil
}

func paramString(v starlark.Value) (string, error) {
	switch x := v.(type) {
	case starlark.String:
		return string(x), nil
	case starlark.Int, starlark.Float:
		return x.String(), nil
	case starlark.Bool:
		return strconv.FormatBool(bool(x)), nil
	}
	return "", fmt.Errorf("want str, int, float, bool or a list of them, got %s", v.Type())
}

// redacted is u for messages and logs: no user info, no query, no fragment
// (tokens travel there).
func redacted(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment = nil, "", false, "", ""
	return v.String()
}
