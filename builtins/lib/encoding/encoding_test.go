package encoding

import (
	"fmt"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

func eval(t *testing.T, src string) (starlark.Value, error) {
	t.Helper()
	g, err := starlark.ExecFile(&starlark.Thread{Name: "test"}, "t.star", src, starlark.StringDict{"encoding": Module()})
	if err != nil {
		if ee, ok := err.(*starlark.EvalError); ok {
			return nil, fmt.Errorf("%s", ee.Msg)
		}
		return nil, err
	}
	return g["result"], nil
}

func TestEncoding(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`result = encoding.b64encode("hello?>")`, `"aGVsbG8/Pg=="`},
		{`result = encoding.b64encode(b"hello?>", urlsafe=True)`, `"aGVsbG8_Pg=="`},
		{`result = encoding.b64encode("hello?>", urlsafe=True, padding=False)`, `"aGVsbG8_Pg"`},
		{`result = encoding.b64decode("aGVsbG8/Pg==")`, `"hello?>"`},
		{`result = encoding.b64decode("aGVsbG8/Pg")`, `"hello?>"`},
		{`result = encoding.b64decode("aGVsbG8_Pg", urlsafe=True)`, `"hello?>"`},
		{`result = encoding.b64decode("aGVs\r\nbG8/Pg==\n")`, `"hello?>"`},
		{`result = encoding.b64decode("")`, `""`},
		{`result = list(encoding.b64decode("/w==").elem_ords())`, `[255]`},
		{`result = encoding.url_quote("a b/c~ü&=?")`, `"a%20b/c~%C3%BC%26%3D%3F"`},
		{`result = encoding.url_quote("a b/c", safe="")`, `"a%20b%2Fc"`},
		{`result = encoding.url_quote("a:b@c", safe=":@")`, `"a:b@c"`},
		{`result = encoding.url_unquote("a%20b+c%2F%C3%BC")`, `"a b+c/ü"`},
		{`result = encoding.url_unquote("a%20b+c", plus=True)`, `"a b c"`},
		{`result = encoding.url_encode({"q": "a b/c", "n": 1, "ok": True})`, `"q=a+b%2Fc&n=1&ok=True"`},
		{`result = encoding.url_encode([("to", "+33 1"), ("to", "x&y=z")])`, `"to=%2B33+1&to=x%26y%3Dz"`},
		{`result = encoding.url_encode({"id": ["1", 2]})`, `"id=1&id=2"`},
		{`result = encoding.url_encode({})`, `""`},
		{`result = encoding.url_decode("?q=a+b%2Fc&n=1&flag&&e=")`, `[("q", "a b/c"), ("n", "1"), ("flag", ""), ("e", "")]`},
		{`result = dict(encoding.url_decode(encoding.url_encode({"a": "x y", "b": "=&"})))`, `{"a": "x y", "b": "=&"}`},
	} {
		v, err := eval(t, tc.src)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
		} else if v.String() != tc.want {
			t.Errorf("%s = %s, want %s", tc.src, v, tc.want)
		}
	}
}

func TestEncodingErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`encoding.b64encode(1)`, `encoding.b64encode: for parameter data: got int, want str or bytes`},
		{`encoding.b64decode("aGVs bG8=")`, `encoding.b64decode: not standard base64: illegal base64 data at input byte 4`},
		{`encoding.b64decode("aGVsbG8_Pg")`, `encoding.b64decode: not standard base64`},
		{`encoding.b64decode("aGVsbG8/Pg", urlsafe=True)`, `encoding.b64decode: not URL-safe base64`},
		{`encoding.b64decode("a")`, `encoding.b64decode: not standard base64`},
		{`encoding.url_unquote("100%")`, `encoding.url_unquote: invalid URL escape "%"`},
		{`encoding.url_unquote("%zz", plus=True)`, `encoding.url_unquote: invalid URL escape "%zz"`},
		{`encoding.url_encode("a=b")`, `encoding.url_encode: params must be a dict or a list of (name, value) pairs, not string`},
		{`encoding.url_encode([("a", "b", "c")])`, `encoding.url_encode: params item ("a", "b", "c") is not a (name, value) pair`},
		{`encoding.url_encode({"a": None})`, `encoding.url_encode: value of "a": got NoneType, want str, int, float or bool`},
		{`encoding.url_encode({"a": [{}]})`, `encoding.url_encode: value of "a": got dict`},
		{`encoding.url_encode({None: "x"})`, `encoding.url_encode: name None`},
		{`encoding.url_decode("a=%G0")`, `encoding.url_decode: invalid URL escape "%G0"`},
	} {
		_, err := eval(t, tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.src, err, tc.want)
		}
	}
}
