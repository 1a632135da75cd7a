package http

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"sort"
	"strings"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
)

// Response is what a request returns (see the package documentation). It
// is immutable.
type Response struct {
	status  int
	url     string
	headers *Headers
	body    starlark.String
	err     error // a failed request (allow_fail)
}

var (
	_ starlark.HasAttrs = (*Response)(nil)
	_ starlark.Mapping  = (*Headers)(nil)
	_ starlark.HasAttrs = (*Headers)(nil)
	_ starlark.Iterable = (*Headers)(nil)
)

func newResponse(resp *http.Response, body []byte) *Response {
	return &Response{
		status:  resp.StatusCode,
		url:     redacted(resp.Request.URL),
		headers: &Headers{h: resp.Header},
		body:    starlark.String(body),
	}
}

// failed is the Response of a request that failed, with allow_fail.
func failed(req *http.Request, err error) *Response {
	return &Response{url: redacted(req.URL), headers: &Headers{h: http.Header{}}, err: err}
}

func (r *Response) String() string        { return fmt.Sprintf("<http.response %d %s>", r.status, r.url) }
func (r *Response) Type() string          { return "http.response" }
func (r *Response) Freeze()               {}
func (r *Response) Truth() starlark.Bool  { return starlark.True }
func (r *Response) Hash() (uint32, error) { return 0, errors.New("unhashable type: http.response") }

// AttrNames lists the response's fields and methods.
func (r *Response) AttrNames() []string {
	return []string{"body", "error", "headers", "json", "ok", "status", "url"}
}

// Attr returns a field, or the json method.
func (r *Response) Attr(name string) (starlark.Value, error) {
	switch name {
	case "status":
		return starlark.MakeInt(r.status), nil
	case "ok":
		return starlark.Bool(r.status >= 200 && r.status < 300), nil
	case "url":
		return starlark.String(r.url), nil
	case "headers":
		return r.headers, nil
	case "body":
		return r.body, nil
	case "error":
		if r.err == nil {
			return starlark.None, nil
		}
		return starlark.String(r.err.Error()), nil
	case "json":
		return builtin("http.response.json", r.json).BindReceiver(r), nil
	}
	return nil, nil
}

func (r *Response) json(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var dflt starlark.Value
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "default?", &dflt); err != nil {
		return nil, err
	}
	v, err := starlark.Call(thread, json.Module.Members["decode"], starlark.Tuple{r.body}, nil)
	if err != nil {
		if dflt != nil {
			return dflt, nil
		}
		return nil, fmt.Errorf("%s: body of %s (status %d): %w", fn.Name(), r.url, r.status, err)
	}
	return v, nil
}

// Headers are a response's headers; names are looked up ignoring case.
type Headers struct {
	h http.Header
}

func (h *Headers) String() string {
	var b strings.Builder
	b.WriteString("<http.headers")
	for _, k := range h.keys() {
		b.WriteString(" " + k)
	}
	b.WriteString(">")
	return b.String()
}
func (h *Headers) Type() string          { return "http.headers" }
func (h *Headers) Freeze()               {}
func (h *Headers) Truth() starlark.Bool  { return len(h.h) > 0 }
func (h *Headers) Hash() (uint32, error) { return 0, errors.New("unhashable type: http.headers") }
func (h *Headers) Len() int              { return len(h.h) }

// Get returns the values of a header name, joined with ", ", ignoring case.
func (h *Headers) Get(k starlark.Value) (starlark.Value, bool, error) {
	s, ok := starlark.AsString(k)
	if !ok {
		return nil, false, fmt.Errorf("http.headers: want a str name, got %s", k.Type())
	}
	vs, ok := h.h[textproto.CanonicalMIMEHeaderKey(s)]
	if !ok {
		return nil, false, nil
	}
	return starlark.String(strings.Join(vs, ", ")), true, nil
}

// Iterate iterates over the canonical names, sorted.
func (h *Headers) Iterate() starlark.Iterator {
	keys := h.keys()
	l := make([]starlark.Value, len(keys))
	for i, k := range keys {
		l[i] = starlark.String(k)
	}
	return starlark.NewList(l).Iterate()
}

func (h *Headers) keys() []string {
	keys := make([]string, 0, len(h.h))
	for k := range h.h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AttrNames lists the methods.
func (h *Headers) AttrNames() []string { return []string{"get", "get_all", "items", "keys"} }

// Attr returns a method.
func (h *Headers) Attr(name string) (starlark.Value, error) {
	var impl builtinFunc
	switch name {
	case "get":
		impl = h.get
	case "get_all":
		impl = h.getAll
	case "keys":
		impl = h.keysMethod
	case "items":
		impl = h.items
	default:
		return nil, nil
	}
	return builtin("http.headers."+name, impl).BindReceiver(h), nil
}

func (h *Headers) get(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var dflt starlark.Value = starlark.None
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name, "default?", &dflt); err != nil {
		return nil, err
	}
	v, found, err := h.Get(starlark.String(name))
	if err != nil || !found {
		return dflt, err
	}
	return v, nil
}

func (h *Headers) getAll(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	vs := h.h.Values(name)
	l := make([]starlark.Value, len(vs))
	for i, v := range vs {
		l[i] = starlark.String(v)
	}
	return starlark.NewList(l), nil
}

func (h *Headers) keysMethod(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	keys := h.keys()
	l := make([]starlark.Value, len(keys))
	for i, k := range keys {
		l[i] = starlark.String(k)
	}
	return starlark.NewList(l), nil
}

func (h *Headers) items(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	keys := h.keys()
	l := make([]starlark.Value, len(keys))
	for i, k := range keys {
		l[i] = starlark.Tuple{starlark.String(k), starlark.String(strings.Join(h.h[k], ", "))}
	}
	return starlark.NewList(l), nil
}
