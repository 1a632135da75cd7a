package server

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// Binding beyond loopback is warned about: the outbound listener always,
// the HTTP gateway when it has no token. (Called directly so the test never
// binds anything but 127.0.0.1; Start calls warnExposed for both listeners.)
func TestReliabilityWarnExposed(t *testing.T) {
	cases := []struct {
		param, addr string
		protected   bool
		warn        string
	}{
		{"listen", "127.0.0.1:8040", false, ""},
		{"listen", "localhost:8040", false, ""},
		{"listen", "[::1]:8040", false, ""},
		{"listen", "0.0.0.0:8040", false, "outbound ESL listener is not on loopback"},
		{"listen", ":8040", false, "outbound ESL listener is not on loopback"},
		{"listen", "192.0.2.10:8040", true, "outbound ESL listener is not on loopback"},
		{"http-listen", "127.0.0.1:8041", false, ""},
		{"http-listen", "0.0.0.0:8041", false, "HTTP gateway is not on loopback and has no http-token"},
		{"http-listen", ":8041", false, "HTTP gateway is not on loopback and has no http-token"},
		{"http-listen", "[::]:8041", false, "HTTP gateway is not on loopback and has no http-token"},
		{"http-listen", "0.0.0.0:8041", true, ""},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		warnExposed(hclog.New(&hclog.LoggerOptions{Output: &buf}), c.param, c.addr, c.protected)
		got := buf.String()
		if c.warn == "" && got != "" {
			t.Errorf("%s=%s protected=%v: unexpected log %q", c.param, c.addr, c.protected, got)
		}
		if c.warn != "" && (!strings.Contains(got, "[WARN]") || !strings.Contains(got, c.warn)) {
			t.Errorf("%s=%s protected=%v: log %q, want a warning %q", c.param, c.addr, c.protected, got, c.warn)
		}
	}
	src, err := os.ReadFile("server.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, call := range []string{`warnExposed(s.log, "listen", cfg.Listen, true)`, `warnExposed(s.log, "http-listen", cfg.HTTPListen, cfg.HTTPToken != "")`} {
		if !bytes.Contains(src, []byte(call)) {
			t.Errorf("Start no longer calls %s", call)
		}
	}
}

// The bearer token is compared in constant time (crypto/subtle), never with
// ==; a regression guard on the source of the check.
func TestReliabilityTokenConstantTime(t *testing.T) {
	src, err := os.ReadFile("http.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte("subtle.ConstantTimeCompare([]byte(got), []byte(cfg.HTTPToken))")) {
		t.Error("the token check no longer uses subtle.ConstantTimeCompare")
	}
	if bytes.Contains(src, []byte("got == cfg.HTTPToken")) || bytes.Contains(src, []byte("got != cfg.HTTPToken")) {
		t.Error("the token is compared with == / !=")
	}
}

// Every listener binds loopback by default, in DefaultConfig and in the
// shipped conf/fsstar.conf.xml; the shipped file sets no token and the
// default password is the switch's well-known one (documented as such).
func TestReliabilityLoopbackDefaults(t *testing.T) {
	check := func(where string, c Config) {
		for param, addr := range map[string]string{"listen": c.Listen, "http-listen": c.HTTPListen, "esl-address": c.ESLAddress} {
			if !strings.HasPrefix(addr, "127.0.0.1:") {
				t.Errorf("%s: %s = %q, want 127.0.0.1", where, param, addr)
			}
		}
	}
	check("DefaultConfig", DefaultConfig())
	c := DefaultConfig()
	if err := LoadConfigFile(&c, "../conf/fsstar.conf.xml"); err != nil {
		t.Fatal(err)
	}
	check("conf/fsstar.conf.xml", c)
}
