// Package crypto is the `crypto` module of fsstar scripts: digests, HMAC,
// constant-time comparison, UUIDs and secure random numbers (crypto/rand).
//
//	def md5(data):      hex digest (32 characters)
//	def sha1(data):     hex digest (40 characters)
//	def sha256(data):   hex digest (64 characters)
//	def hmac(key, msg, digest="sha256", encoding="hex"):
//	                    the HMAC of msg under key; digest "sha256" or "sha1";
//	                    encoding "hex", "base64" (standard, padded) or
//	                    "base64url" (URL-safe, unpadded, as JWTs and most
//	                    URL signatures want)
//	def equal(a, b):    a == b in time that does not depend on where they
//	                    differ: compare signatures with it, not ==
//	def uuid4():        a random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-..."
//	def token_hex(nbytes=32):      nbytes random bytes as 2*nbytes hex characters
//	def token_urlsafe(nbytes=32):  nbytes random bytes, base64url without padding
//	def randbelow(n):   a random int in [0, n)
//	def randint(a, b):  a random int in [a, b]
//
// data, key, msg, a and b may be str or bytes (their bytes are used; a str
// is not re-encoded); every result is a str. nbytes is 1 to 1024. Every
// random value comes from crypto/rand: use them for tokens, PINs and
// anything a caller must not guess.
package crypto

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"math/big"

	"github.com/fsstar/fsstar/builtins/lib/internal/libutil"
	"github.com/google/uuid"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// MaxTokenBytes bounds nbytes of token_hex and token_urlsafe.
const MaxTokenBytes = 1024

// Module returns a frozen `crypto` module.
func Module() *starlarkstruct.Module {
	m := &starlarkstruct.Module{
		Name: "crypto",
		Members: starlark.StringDict{
			"md5":           libutil.Builtin("crypto.md5", digest(md5.New)),
			"sha1":          libutil.Builtin("crypto.sha1", digest(sha1.New)),
			"sha256":        libutil.Builtin("crypto.sha256", digest(sha256.New)),
			"hmac":          libutil.Builtin("crypto.hmac", hmacFn),
			"equal":         libutil.Builtin("crypto.equal", equal),
			"uuid4":         libutil.Builtin("crypto.uuid4", uuid4),
			"token_hex":     libutil.Builtin("crypto.token_hex", token(hex.EncodeToString)),
			"token_urlsafe": libutil.Builtin("crypto.token_urlsafe", token(base64.RawURLEncoding.EncodeToString)),
			"randbelow":     libutil.Builtin("crypto.randbelow", randbelow),
			"randint":       libutil.Builtin("crypto.randint", randint),
		},
	}
	m.Freeze()
	return m
}

func digest(h func() hash.Hash) libutil.Func {
	return func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var data libutil.Data
		if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "data", &data); err != nil {
			return nil, err
		}
		d := h()
		d.Write([]byte(data))
		return starlark.String(hex.EncodeToString(d.Sum(nil))), nil
	}
}

func hmacFn(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var key, msg libutil.Data
	digestName, encoding := "sha256", "hex"
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "key", &key, "msg", &msg, "digest?", &digestName, "encoding?", &encoding); err != nil {
		return nil, err
	}
	var h func() hash.Hash
	switch digestName {
	case "sha256":
		h = sha256.New
	case "sha1":
		h = sha1.New
	default:
		return nil, fmt.Errorf("%s: unknown digest %q (want \"sha256\" or \"sha1\")", fn.Name(), digestName)
	}
	var enc func([]byte) string
	switch encoding {
	case "hex":
		enc = hex.EncodeToString
	case "base64":
		enc = base64.StdEncoding.EncodeToString
	case "base64url":
		enc = base64.RawURLEncoding.EncodeToString
	default:
		return nil, fmt.Errorf("%s: unknown encoding %q (want \"hex\", \"base64\" or \"base64url\")", fn.Name(), encoding)
	}
	mac := hmac.New(h, []byte(key))
	mac.Write([]byte(msg))
	return starlark.String(enc(mac.Sum(nil))), nil
}

func equal(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a, b libutil.Data
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "a", &a, "b", &b); err != nil {
		return nil, err
	}
	return starlark.Bool(subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1), nil
}

func uuid4(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	u, err := uuid.NewRandom()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	return starlark.String(u.String()), nil
}

func token(enc func([]byte) string) libutil.Func {
	return func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		n := 32
		if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "nbytes?", &n); err != nil {
			return nil, err
		}
		if n < 1 || n > MaxTokenBytes {
			return nil, fmt.Errorf("%s: nbytes must be 1 to %d, got %d", fn.Name(), MaxTokenBytes, n)
		}
		b := make([]byte, n)
		rand.Read(b) // never fails (crypto/rand crashes the program instead)
		return starlark.String(enc(b)), nil
	}
}

// below returns a random int in [0, n), n > 0.
func below(n *big.Int) starlark.Int {
	v, err := rand.Int(rand.Reader, n)
	if err != nil {
		panic(err) // crypto/rand.Reader does not fail
	}
	return starlark.MakeBigInt(v)
}

func randbelow(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var n starlark.Int
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "n", &n); err != nil {
		return nil, err
	}
	if n.Sign() <= 0 {
		return nil, fmt.Errorf("%s: n must be positive, got %s", fn.Name(), n)
	}
	if n.BigInt().BitLen() > 1024 {
		return nil, fmt.Errorf("%s: n has more than 1024 bits", fn.Name())
	}
	return below(n.BigInt()), nil
}

func randint(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a, b int64
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "a", &a, "b", &b); err != nil {
		return nil, err
	}
	if a > b {
		return nil, fmt.Errorf("%s: empty range: a (%d) is greater than b (%d)", fn.Name(), a, b)
	}
	span := new(big.Int).Sub(big.NewInt(b), big.NewInt(a))
	span.Add(span, big.NewInt(1))
	return below(span).Add(starlark.MakeInt64(a)), nil
}
