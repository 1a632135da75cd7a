package builtins

import (
	"strings"
	"testing"
)

func TestSessionBasics(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    out = [str(session) == session.uuid, session.ready(), session.answered(), session.getState()]
    session.answer()
    out += [session.answered(), session.mediaReady()]
    session.setVariable("fsstar_test", "a b")
    session.execute("log", "INFO ${fsstar_test}")
    out += [session.getVariable("fsstar_test"), session.getVariable("no_such_var"), session.hangupCause()]
    session.hangup("user_busy")
    out += [session.ready(), session.hangupCause()]
    return out
`, nil)
	c.check(t, `[True, True, False, "CS_EXECUTE", True, True, "a b", None, "NONE", False, "USER_BUSY"]`)
	c.apps(t, "answer", "log INFO ${fsstar_test}", "hangup USER_BUSY")
	if cause := c.ch.HangupCause(); cause != "USER_BUSY" {
		t.Fatalf("cause %q", cause)
	}
	if !strings.Contains(c.ch.Var("fsstar_test"), "a b") {
		t.Fatalf("var %q", c.ch.Var("fsstar_test"))
	}
}
