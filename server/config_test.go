package server

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fsstar/fsstar/loader"
)

// TestShippedConfig loads conf/fsstar.conf.xml and checks that it names
// every param, each at its default: the shipped file documents them all.
func TestShippedConfig(t *testing.T) {
	got := DefaultConfig()
	if err := LoadConfigFile(&got, "../conf/fsstar.conf.xml"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(DefaultConfig(), got); diff != "" {
		t.Errorf("shipped config differs from the defaults (-defaults +file):\n%s", diff)
	}
	data := readFile(t, "../conf/fsstar.conf.xml")
	for _, p := range Params() {
		if !strings.Contains(data, `name="`+p.Name+`"`) {
			t.Errorf("conf/fsstar.conf.xml does not mention param %q", p.Name)
		}
	}
}

// TestMaxStepsDefault: the max-steps param defaults to fsstar's one step
// limit, loader.DefaultMaxSteps (the engine's and scriptcheck's too).
func TestMaxStepsDefault(t *testing.T) {
	if got := DefaultConfig().MaxSteps; got != loader.DefaultMaxSteps {
		t.Errorf("max-steps defaults to %d, want loader.DefaultMaxSteps (%d)", got, loader.DefaultMaxSteps)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	cases := map[string]string{
		`<configuration name="fsstar.conf"><settings><param name="listn" value="x"/></settings></configuration>`:                                  `unknown param "listn"`,
		`<configuration name="fsstar.conf"><settings><param name="request-timeout" value="soon"/></settings></configuration>`:                     `param "request-timeout": want a duration`,
		`<configuration name="fsstar.conf"><settings><param name="listen" value="a"/><param name="listen" value="b"/></settings></configuration>`: `param "listen" given twice`,
		`<configuration name="python.conf"><settings/></configuration>`:                                                                           `want name="fsstar.conf"`,
		`<configuration name="fsstar.conf"><settings><param name="on-error" value="reboot"/></settings></configuration>`:                          `want hangup:<CAUSE> or transfer`,
		`<configuration`: `parse configuration`,
	}
	for doc, want := range cases {
		c := DefaultConfig()
		err := LoadConfig(&c, strings.NewReader(doc))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadConfig(%s) = %v, want an error containing %q", doc, err, want)
		}
	}
}

func TestConfigPrecedence(t *testing.T) {
	c := DefaultConfig()
	doc := `<configuration name="fsstar.conf"><settings>
	  <param name="script-directory" value="/a"/><param name="script-directory" value="/b"/>
	  <param name="request-timeout" value="3s"/><param name="listen" value="127.0.0.1:9000"/>
	</settings></configuration>`
	if err := LoadConfig(&c, strings.NewReader(doc)); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fv := RegisterFlags(fs)
	if err := fs.Parse([]string{"-listen", "127.0.0.1:9001", "-xml-handler-bindings", "dialplan, directory"}); err != nil {
		t.Fatal(err)
	}
	if err := fv.Apply(&c); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/a", "/b"}, c.ScriptDirs); diff != "" {
		t.Errorf("script dirs (-want +got):\n%s", diff)
	}
	if c.Listen != "127.0.0.1:9001" || c.RequestTimeout != 3*time.Second || c.HTTPListen != "127.0.0.1:8041" {
		t.Errorf("precedence wrong: listen %q timeout %v http %q", c.Listen, c.RequestTimeout, c.HTTPListen)
	}
	if diff := cmp.Diff([]string{"dialplan", "directory"}, c.XMLHandlerBindings); diff != "" {
		t.Errorf("bindings (-want +got):\n%s", diff)
	}
	bad := flag.NewFlagSet("serve", flag.ContinueOnError)
	fv = RegisterFlags(bad)
	_ = bad.Parse([]string{"-max-steps", "lots"})
	if err := fv.Apply(&c); err == nil || !strings.Contains(err.Error(), "-max-steps") {
		t.Errorf("bad flag value: err = %v, want one naming -max-steps", err)
	}
}

func TestParseOnError(t *testing.T) {
	ok := map[string]OnError{
		"hangup:USER_BUSY":              {Action: "hangup", Cause: "USER_BUSY"},
		"hangup":                        {Action: "hangup", Cause: "NORMAL_TEMPORARY_FAILURE"},
		"transfer:fallback XML default": {Action: "transfer", Target: "fallback XML default"},
	}
	for in, want := range ok {
		got, err := ParseOnError(in)
		if err != nil || got != want {
			t.Errorf("ParseOnError(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"hangup:busy now", "transfer:", "park", "transfer:a\nb"} {
		if _, err := ParseOnError(in); err == nil {
			t.Errorf("ParseOnError(%q) accepted", in)
		}
	}
}
