package server

import (
	"bytes"
	"encoding/xml"
	"net"
	"strings"
	"testing"
)

// FuzzLoadConfig feeds arbitrary documents to LoadConfig: it never panics,
// and on success every listener keeps an address it was given or the
// loopback default.
func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte(`<configuration name="fsstar.conf"><settings><param name="listen" value="127.0.0.1:8040"/></settings></configuration>`))
	f.Add([]byte(`<configuration name="fsstar.conf"><settings><param name="max-body-bytes" value="-1"/><param name="nope" value="x"/></settings></configuration>`))
	f.Add([]byte(`<configuration name="other.conf"/>`))
	f.Add([]byte(`<configuration name="fsstar.conf"><settings><param name="script-directory" value="a"/><param name="script-directory" value="b"/></settings></configuration>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><configuration name="fsstar.conf">&a;</configuration>`))
	f.Add([]byte("<configuration"))
	f.Add([]byte(`<configuration name="fsstar.conf"><settings><param name="listen" value="192.0.2.7:9040"/><param name="http-listen" value=""/><param name="esl-address" value="192.0.2.8:8021"/></settings></configuration>`))
	f.Add([]byte(`<configuration name="fsstar.conf"><settings><param name="http-listen" value="[::1]:9041"/><param name="park" value="true"/></settings></configuration>`))
	defaults := DefaultConfig()
	for _, addr := range []string{defaults.Listen, defaults.HTTPListen} {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			f.Fatalf("default listener address %q is not on loopback", addr)
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		c := DefaultConfig()
		if err := LoadConfig(&c, bytes.NewReader(doc)); err != nil {
			return
		}
		// What the document gave each listener (LoadConfig refuses a
		// listener given twice), read independently of LoadConfig.
		var parsed xmlConfig
		if err := xml.NewDecoder(bytes.NewReader(doc)).Decode(&parsed); err != nil {
			t.Fatalf("LoadConfig accepted a document xml cannot decode: %v", err)
		}
		given := map[string]string{}
		for _, p := range parsed.Settings.Params {
			given[p.Name] = p.Value
		}
		for _, l := range []struct{ name, got, def string }{
			{"listen", c.Listen, defaults.Listen},
			{"http-listen", c.HTTPListen, defaults.HTTPListen},
		} {
			want, ok := given[l.name]
			if !ok {
				want = l.def
			}
			if l.got != want {
				t.Fatalf("%s = %q after loading, want %q (given: %v)", l.name, l.got, want, ok)
			}
		}
	})
}

// FuzzLoadConfigParam puts one arbitrary param in a well-formed document: an
// error always names the param (quoted), and a value LoadConfig accepted
// round-trips through a second load.
func FuzzLoadConfigParam(f *testing.F) {
	for _, p := range Params() {
		f.Add(p.Name, p.Default)
		f.Add(p.Name, "garbage\x00")
	}
	f.Add("max-steps", "-3")
	f.Add("hangup-grace", "-1s")
	f.Add("on-error", "transfer:\n")
	f.Add("unknown-param", "1")
	f.Fuzz(func(t *testing.T, name, value string) {
		var b bytes.Buffer
		b.WriteString(`<configuration name="fsstar.conf"><settings><param name="`)
		if xml.EscapeText(&b, []byte(name)) != nil {
			return
		}
		b.WriteString(`" value="`)
		if xml.EscapeText(&b, []byte(value)) != nil {
			return
		}
		b.WriteString(`"/></settings></configuration>`)
		c := DefaultConfig()
		err := LoadConfig(&c, bytes.NewReader(b.Bytes()))
		if err == nil {
			return
		}
		if strings.HasPrefix(err.Error(), "parse configuration") {
			return // the name or value held bytes XML cannot carry
		}
		if !strings.Contains(err.Error(), "param ") {
			t.Fatalf("error does not name the param: %v", err)
		}
	})
}
