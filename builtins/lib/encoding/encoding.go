// Package encoding is the `encoding` module of fsstar scripts: base64 and
// the percent-encoding of URLs and query strings.
//
//	def b64encode(data, urlsafe=False, padding=True):
//	        data in base64: the standard alphabet (+ /), or the URL-safe one
//	        (- _) with urlsafe=True; padding=False drops the trailing "="
//	def b64decode(text, urlsafe=False):
//	        the bytes text encodes, as a str; padding is optional and line
//	        breaks are ignored; any other character outside the alphabet
//	        is an error naming its offset
//	def url_quote(text, safe="/"):
//	        text percent-encoded for a URL path: letters, digits, _ . - ~
//	        and the characters of safe stay, every other byte is %XX
//	        (upper-case hex), a blank included (Python's urllib.parse.quote)
//	def url_unquote(text, plus=False):
//	        %XX sequences decoded (and "+" read as a blank with plus=True,
//	        as in a query string); a malformed %-sequence is an error
//	def url_encode(params):
//	        a query string "a=1&b=x+y" from a dict or a list of (name, value)
//	        pairs, in order; a list or tuple value gives one pair per item;
//	        names and values as Python's urlencode writes them (quote_plus:
//	        blank as "+", "/" encoded); values may be str, int, float or bool
//	def url_decode(query):
//	        the (name, value) pairs of a query string, in order, decoded
//	        (dict(encoding.url_decode(q)) when names do not repeat); a
//	        leading "?" is ignored; a malformed %-sequence is an error
//
// data may be str or bytes; text, safe and query are str. Results are str:
// a Starlark str holds any bytes, so b64decode and url_unquote give back
// exactly the bytes that were encoded, UTF-8 or not.
package encoding

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/fsstar/fsstar/builtins/lib/internal/libutil"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// Module returns a frozen `encoding` module.
func Module() *starlarkstruct.Module {
	m := &starlarkstruct.Module{
		Name: "encoding",
		Members: starlark.StringDict{
			"b64encode":   libutil.Builtin("encoding.b64encode", b64encode),
			"b64decode":   libutil.Builtin("encoding.b64decode", b64decode),
			"url_quote":   libutil.Builtin("encoding.url_quote", urlQuote),
			"url_unquote": libutil.Builtin("encoding.url_unquote", urlUnquote),
			"url_encode":  libutil.Builtin("encoding.url_encode", urlEncode),
			"url_decode":  libutil.Builtin("encoding.url_decode", urlDecode),
		},
	}
	m.Freeze()
	return m
}

func b64encoding(urlsafe, padding bool) *base64.Encoding {
	enc := base64.StdEncoding
	if urlsafe {
		enc = base64.URLEncoding
	}
	if !padding {
		enc = enc.WithPadding(base64.NoPadding)
	}
	return enc
}

func b64encode(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data libutil.Data
	urlsafe, padding := false, true
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "data", &data, "urlsafe?", &urlsafe, "padding?", &padding); err != nil {
		return nil, err
	}
	return starlark.String(b64encoding(urlsafe, padding).EncodeToString([]byte(data))), nil
}

func b64decode(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var text string
	urlsafe := false
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "text", &text, "urlsafe?", &urlsafe); err != nil {
		return nil, err
	}
	text = strings.NewReplacer("\r", "", "\n", "").Replace(text)
	enc := b64encoding(urlsafe, false)
	text = strings.TrimRight(text, "=")
	b, err := enc.DecodeString(text)
	if err != nil {
		alphabet := "standard"
		if urlsafe {
			alphabet = "URL-safe"
		}
		return nil, fmt.Errorf("%s: not %s base64: %w", fn.Name(), alphabet, err)
	}
	return starlark.String(b), nil
}

// quote percent-encodes s, keeping unreserved characters and those of safe.
func quote(s, safe string, plus bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-', c == '~':
			b.WriteByte(c)
		case c == ' ' && plus:
			b.WriteByte('+')
		case c < 0x80 && strings.IndexByte(safe, c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func urlQuote(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var text string
	safe := "/"
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "text", &text, "safe?", &safe); err != nil {
		return nil, err
	}
	return starlark.String(quote(text, safe, false)), nil
}

func unquote(s string, plus bool) (string, error) {
	if plus {
		return url.QueryUnescape(s)
	}
	return url.PathUnescape(s)
}

func urlUnquote(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var text string
	plus := false
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "text", &text, "plus?", &plus); err != nil {
		return nil, err
	}
	s, err := unquote(text, plus)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	return starlark.String(s), nil
}

// queryValue is one value of url_encode as text.
func queryValue(v starlark.Value) (string, error) {
	switch v := v.(type) {
	case starlark.String:
		return string(v), nil
	case starlark.Bytes:
		return string(v), nil
	case starlark.Int, starlark.Float, starlark.Bool:
		return v.String(), nil
	}
	return "", fmt.Errorf("got %s, want str, int, float or bool", v.Type())
}

func urlEncode(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var params starlark.Value
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "params", &params); err != nil {
		return nil, err
	}
	var pairs []starlark.Tuple
	switch p := params.(type) {
	case *starlark.Dict:
		for _, kv := range p.Items() {
			pairs = append(pairs, kv)
		}
	case *starlark.List, starlark.Tuple:
		it := starlark.Iterate(p)
		defer it.Done()
		var x starlark.Value
		for it.Next(&x) {
			t, ok := x.(starlark.Tuple)
			if !ok || len(t) != 2 {
				if l, isList := x.(*starlark.List); isList && l.Len() == 2 {
					t = starlark.Tuple{l.Index(0), l.Index(1)}
				} else {
					return nil, fmt.Errorf("%s: params item %s is not a (name, value) pair", fn.Name(), x)
				}
			}
			pairs = append(pairs, t)
		}
	default:
		return nil, fmt.Errorf("%s: params must be a dict or a list of (name, value) pairs, not %s", fn.Name(), params.Type())
	}
	var b strings.Builder
	add := func(name string, v starlark.Value) error {
		s, err := queryValue(v)
		if err != nil {
			return fmt.Errorf("%s: value of %q: %w", fn.Name(), name, err)
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(quote(name, "", true))
		b.WriteByte('=')
		b.WriteString(quote(s, "", true))
		return nil
	}
	for _, kv := range pairs {
		name, err := queryValue(kv[0])
		if err != nil {
			return nil, fmt.Errorf("%s: name %s: %w", fn.Name(), kv[0], err)
		}
		switch v := kv[1].(type) {
		case *starlark.List, starlark.Tuple:
			it := starlark.Iterate(v)
			var x starlark.Value
			for it.Next(&x) {
				if err := add(name, x); err != nil {
					it.Done()
					return nil, err
				}
			}
			it.Done()
		default:
			if err := add(name, v); err != nil {
				return nil, err
			}
		}
	}
	return starlark.String(b.String()), nil
}

func urlDecode(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var query string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "query", &query); err != nil {
		return nil, err
	}
	query = strings.TrimPrefix(query, "?")
	var out []starlark.Value
	for part := range strings.SplitSeq(query, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		n, err := unquote(name, true)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn.Name(), err)
		}
		v, err := unquote(value, true)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn.Name(), err)
		}
		out = append(out, starlark.Tuple{starlark.String(n), starlark.String(v)})
	}
	return starlark.NewList(out), nil
}
