package servertest_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

// Close must leave nothing running: the tests of every package that uses
// the harness rely on it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const greeter = `
def handler(session, args):
    session.answer()
    session.setVariable("greeted", args)

def fsapi(session, stream, env, args):
    stream.write("hello " + args)
`

// TestNewServer: the scripts are served, calls and the gateway work, the
// log is captured, and WaitConnected returns with the inbound connection up.
func TestNewServer(t *testing.T) {
	h := servertest.NewServer(t, map[string]string{"ivr/greet.star": greeter})
	ch, cause := h.Call(t, map[string]string{"fsstar_app": "ivr.greet bob"})
	if ch.Var("greeted") != "bob" || cause != "NORMAL_CLEARING" {
		t.Errorf("greeted=%q cause=%q, want bob NORMAL_CLEARING", ch.Var("greeted"), cause)
	}
	h.WaitConnected(t)
	if c := h.Server.Client(); c == nil || !c.Stats().Connected {
		t.Error("WaitConnected returned before the inbound connection was up")
	}
	if _, err := os.Stat(h.Dir + "/ivr/greet.star"); err != nil {
		t.Error(err)
	}
	if !strings.Contains(h.Logs(), "fsstar serving") {
		t.Errorf("the log lacks the start line:\n%s", h.Logs())
	}
}

// TestNewClosesWhatItMade: New's directory and switch go with Close; Close
// may be called again.
func TestNewClosesWhatItMade(t *testing.T) {
	h, err := servertest.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir, addr := h.Dir, h.Switch.Addr()
	if err := h.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the script directory %s is still there (%v)", dir, err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("the switch still listens on %s", addr)
	}
}

// TestSharedSwitch: two instances on one switch (WithSwitch) serving one
// directory (WithDir); the switch and the directory outlive the first
// instance's Close.
func TestSharedSwitch(t *testing.T) {
	sw := esltest.NewSwitch(t)
	a := servertest.NewServer(t, map[string]string{"greet.star": greeter}, servertest.WithSwitch(sw))
	b := servertest.NewServer(t, nil, servertest.WithSwitch(sw), servertest.WithDir(a.Dir),
		servertest.WithConfig(func(c *server.Config) { c.DefaultModule = "greet" }))
	if a.Switch != sw || b.Switch != sw || b.Server.Config().ScriptDirs[0] != a.Dir {
		t.Fatal("the options were not applied")
	}
	a.Close()
	ch, _ := b.Call(t, nil)
	if ch.Var("greeted") != "" || !strings.Contains(strings.Join(appNamesOf(ch), ","), "answer") {
		t.Errorf("b did not run the default module: apps %q", appNamesOf(ch))
	}
}

// TestSwitchOptionsNeedOwnSwitch: options for a switch the harness does not
// start are refused, not ignored.
func TestSwitchOptionsNeedOwnSwitch(t *testing.T) {
	sw := esltest.NewSwitch(t)
	if _, err := servertest.New(nil, servertest.WithSwitch(sw), servertest.WithSwitchOptions(esltest.WithTimeScale(1))); err == nil || !strings.Contains(err.Error(), "WithSwitch") {
		t.Errorf("err = %v, want one naming WithSwitch", err)
	}
}

// TestUnstarted: an unstarted server binds nothing; its Handler serves.
func TestUnstarted(t *testing.T) {
	h := servertest.NewServer(t, map[string]string{"greet.star": greeter}, servertest.Unstarted())
	if a := h.Server.Addr(); a != "" {
		t.Errorf("an unstarted server listens on %s", a)
	}
	rec := httptest.NewRecorder()
	h.Server.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/greet?x", nil))
	if rec.Code != 200 || rec.Body.String() != "hello x" {
		t.Errorf("Handler: %d %q", rec.Code, rec.Body)
	}
}

func appNamesOf(ch *esltest.Channel) []string {
	var out []string
	for _, a := range ch.Apps() {
		out = append(out, a.Name)
	}
	return out
}
