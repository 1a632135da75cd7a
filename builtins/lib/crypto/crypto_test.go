package crypto

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

func eval(t *testing.T, src string) (starlark.Value, error) {
	t.Helper()
	g, err := starlark.ExecFile(&starlark.Thread{Name: "test"}, "t.star", src, starlark.StringDict{"crypto": Module()})
	if err != nil {
		if ee, ok := err.(*starlark.EvalError); ok {
			return nil, fmt.Errorf("%s", ee.Msg)
		}
		return nil, err
	}
	return g["result"], nil
}

func TestCrypto(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`result = crypto.md5("")`, `"d41d8cd98f00b204e9800998ecf8427e"`},
		{`result = crypto.md5(b"abc") == crypto.md5("abc")`, `True`},
		{`result = crypto.md5(b"\xff\x00")`, `"e0e8bfafbb0689563b2fba789c97b3cc"`},
		{`result = crypto.sha1("abc")`, `"a9993e364706816aba3e25717850c26c9cd0d89d"`},
		{`result = crypto.sha256(data="abc")`, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
		// RFC 4231 test case 2, RFC 2202 test case 2
		{`result = crypto.hmac("Jefe", "what do ya want for nothing?")`, `"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"`},
		{`result = crypto.hmac("Jefe", "what do ya want for nothing?", "sha1")`, `"effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"`},
		{`result = crypto.hmac(b"Jefe", "what do ya want for nothing?", encoding="base64")`, `"W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="`},
		{`result = crypto.hmac("Jefe", "what do ya want for nothing?", encoding="base64url")`, `"W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM"`},
		{`result = (crypto.equal("abc", b"abc"), crypto.equal("abc", "abd"), crypto.equal("", "a"))`, `(True, False, False)`},
		{`result = len(crypto.token_hex())`, `64`},
		{`result = len(crypto.token_hex(1))`, `2`},
		{`result = len(crypto.token_urlsafe(3))`, `4`},
		{`result = crypto.randint(7, 7)`, `7`},
		{`result = crypto.randbelow(1)`, `0`},
		{`result = [x for x in [crypto.randint(-2, 2) for _ in range(200)] if x < -2 or x > 2]`, `[]`},
		{`result = len({crypto.randint(1, 3): 1 for _ in range(300)})`, `3`},
		{`result = crypto.randbelow((1 << 200)) < (1 << 200)`, `True`},
		{`result = crypto.uuid4() != crypto.uuid4()`, `True`},
	} {
		v, err := eval(t, tc.src)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
		} else if v.String() != tc.want {
			t.Errorf("%s = %s, want %s", tc.src, v, tc.want)
		}
	}
	v, err := eval(t, `result = crypto.uuid4()`)
	if err != nil || !regexp.MustCompile(`^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`).MatchString(v.String()) {
		t.Errorf("uuid4() = %v, %v", v, err)
	}
	v, err = eval(t, `result = crypto.token_urlsafe(48)`)
	if err != nil || !regexp.MustCompile(`^"[A-Za-z0-9_-]{64}"$`).MatchString(v.String()) {
		t.Errorf("token_urlsafe(48) = %v, %v", v, err)
	}
}

func TestCryptoErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`crypto.md5(1)`, `crypto.md5: for parameter data: got int, want str or bytes`},
		{`crypto.sha256()`, `crypto.sha256: missing argument for data`},
		{`crypto.hmac("k", "m", "md5")`, `crypto.hmac: unknown digest "md5" (want "sha256" or "sha1")`},
		{`crypto.hmac("k", "m", encoding="b32")`, `crypto.hmac: unknown encoding "b32"`},
		{`crypto.hmac("k")`, `crypto.hmac: missing argument for msg`},
		{`crypto.token_hex(0)`, `crypto.token_hex: nbytes must be 1 to 1024, got 0`},
		{`crypto.token_urlsafe(1025)`, `crypto.token_urlsafe: nbytes must be 1 to 1024, got 1025`},
		{`crypto.randbelow(0)`, `crypto.randbelow: n must be positive, got 0`},
		{`crypto.randbelow((1 << 500) * (1 << 500) * (1 << 100))`, `crypto.randbelow: n has more than 1024 bits`},
		{`crypto.randint(3, 1)`, `crypto.randint: empty range: a (3) is greater than b (1)`},
		{`crypto.randint(0, (1 << 70))`, `crypto.randint: for parameter b:`},
		{`crypto.uuid4(1)`, `crypto.uuid4: got 1 arguments, want at most 0`},
		{`crypto.md5 = None`, `can't assign to .md5 field of module`},
	} {
		_, err := eval(t, tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.src, err, tc.want)
		}
	}
}

func BenchmarkHMAC(b *testing.B) {
	hm, _ := Module().Attr("hmac")
	thread := &starlark.Thread{}
	args := starlark.Tuple{starlark.String("secret"), starlark.String("/recordings/abc.wav?expires=1790000000")}
	for b.Loop() {
		if _, err := starlark.Call(thread, hm, args, nil); err != nil {
			b.Fatal(err)
		}
	}
}
