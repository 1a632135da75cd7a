package server_test

import (
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fsstar/fsstar/loader"
	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

// TestShippedConfig loads conf/fsstar.conf.xml and checks that it names
// every param, each at its default: the shipped file documents them all.
func TestShippedConfig(t *testing.T) {
	got := server.DefaultConfig()
	if err := server.LoadConfigFile(&got, "../conf/fsstar.conf.xml"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(server.DefaultConfig(), got); diff != "" {
		t.Errorf("shipped config differs from the defaults (-defaults +file):\n%s", diff)
	}
	data := readFile(t, "../conf/fsstar.conf.xml")
	for _, p := range server.Params() {
		if !strings.Contains(data, `name="`+p.Name+`"`) {
			t.Errorf("conf/fsstar.conf.xml does not mention param %q", p.Name)
		}
	}
}

// TestMaxStepsDefault: the max-steps param defaults to fsstar's one step
// limit, loader.DefaultMaxSteps (the engine's and scriptcheck's too).
func TestMaxStepsDefault(t *testing.T) {
	if got := server.DefaultConfig().MaxSteps; got != loader.DefaultMaxSteps {
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
		c := server.DefaultConfig()
		err := server.LoadConfig(&c, strings.NewReader(doc))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadConfig(%s) = %v, want an error containing %q", doc, err, want)
		}
	}
}

func TestConfigPrecedence(t *testing.T) {
	c := server.DefaultConfig()
	doc := `<configuration name="fsstar.conf"><settings>
	  <param name="script-directory" value="/a"/><param name="script-directory" value="/b"/>
	  <param name="request-timeout" value="3s"/><param name="listen" value="127.0.0.1:9000"/>
	</settings></configuration>`
	if err := server.LoadConfig(&c, strings.NewReader(doc)); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fv := server.RegisterFlags(fs)
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
	fv = server.RegisterFlags(bad)
	_ = bad.Parse([]string{"-max-steps", "lots"})
	if err := fv.Apply(&c); err == nil || !strings.Contains(err.Error(), "-max-steps") {
		t.Errorf("bad flag value: err = %v, want one naming -max-steps", err)
	}
}

func TestParseOnError(t *testing.T) {
	ok := map[string]server.OnError{
		"hangup:USER_BUSY":              {Action: "hangup", Cause: "USER_BUSY"},
		"hangup":                        {Action: "hangup", Cause: "NORMAL_TEMPORARY_FAILURE"},
		"transfer:fallback XML default": {Action: "transfer", Target: "fallback XML default"},
	}
	for in, want := range ok {
		got, err := server.ParseOnError(in)
		if err != nil || got != want {
			t.Errorf("ParseOnError(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"hangup:busy now", "transfer:", "park", "transfer:a\nb"} {
		if _, err := server.ParseOnError(in); err == nil {
			t.Errorf("ParseOnError(%q) accepted", in)
		}
	}
}

// TestReconfigureLive: Reconfigure applies every live param (Param.Live)
// and only those; a change to another one is logged as needing a restart.
func TestReconfigureLive(t *testing.T) {
	h := servertest.NewServer(t, nil)
	values := map[string]string{
		"log-level": "debug", "on-error": "transfer:9999 XML default", "http-token": "tok",
		"max-body-bytes": "12345", "request-timeout": "7s", "xml-fetch-timeout": "3s",
		"hangup-grace": "4s", "drain-timeout": "9s", "default-module": "dm",
		"app-variable": "av", "xml-handler-script": "xh", "xml-handler-bindings": "dialplan",
		"max-call-memory-bytes": "1048576", "max-script-memory-bytes": "2097152",
	}
	want := h.Server.Config()
	for _, p := range server.Params() {
		v, ok := values[p.Name]
		if p.Live() != ok {
			t.Fatalf("param %s: live %v, but the test has a value for it: %v", p.Name, p.Live(), ok)
		}
		if !ok {
			continue
		}
		if err := server.SetParam(p, &want, v); err != nil {
			t.Fatalf("param %s = %q: %v", p.Name, v, err)
		}
	}
	if reflect.DeepEqual(want, h.Server.Config()) {
		t.Fatal("the test values change nothing")
	}
	if err := h.Server.Reconfigure(want); err != nil {
		t.Fatal(err)
	}
	if got := h.Server.Config(); !reflect.DeepEqual(got, want) {
		t.Errorf("after Reconfigure, changed fields not applied: %q", server.ChangedFields(got, want))
	}
	if logs := h.Logs(); !strings.Contains(logs, "configuration reloaded") || strings.Contains(logs, "need a restart") {
		t.Errorf("live changes only: logs\n%s", logs)
	}
	next := want
	next.Listen = "127.0.0.1:1"
	next.ESLPassword = "s3cret-pw"
	if err := h.Server.Reconfigure(next); err != nil {
		t.Fatal(err)
	}
	if got := h.Server.Config(); got.Listen == next.Listen {
		t.Errorf("listen applied live: %q", got.Listen)
	}
	logs := h.Logs()
	if !strings.Contains(logs, "need a restart") || !strings.Contains(logs, "Listen: ") || strings.Contains(logs, "s3cret-pw") {
		t.Errorf("a restart-only change: logs\n%s", logs)
	}
}
