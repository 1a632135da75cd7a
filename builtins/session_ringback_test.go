package builtins

import (
	"strings"
	"testing"
)

// ringingLeg is a loopback leg that rings until sim.answer_when answers
// it (diff_ring=1): the inline dialplan of the differential scenarios,
// without their wall-clock ring.
const ringingLeg = "{diff_ring=1}loopback/m:^:ring_ready^park/fsstar_test/inline"

// TestOriginateRingback: while a leg originated for an a-leg rings, the
// a-leg hears its ringback, as switch_ivr_originate plays it under mod_lua
// (scenarios originate_ringback and originate_ringback_file): a tone with
// gentones, a file displaced over a silent tone; nothing for a leg that
// answers at once. The leg's caller ID is the a-leg's, not flipped, and
// the originate_signal_bond of outgoing_channel is gone once signal_bond
// is set (scenario originate_leg_caller_id).
func TestOriginateRingback(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    session.setVariable("effective_caller_id_name", "Eff Name")
    session.setVariable("ringback", "%(1000,0,440)")
    sim.answer_when("diff_ring", "1", "gentones")
    b = freeswitch.Session("`+ringingLeg+`", session)
    out = [b.answered(), sim.apps()]
    out += [b.getVariable(v) for v in ["caller_id_name", "callee_id_name", "channel_cid_flipped", "pre_transfer_caller_id_name",
                                      "originator_codec", "max_forwards", "origination_aleg_uuid", "fsstar_dial"]]
    out += [b.getVariable("signal_bond") == session.uuid, b.getVariable("originator") == session.uuid]
    out += [session.getVariable("originate_signal_bond"), session.getVariable("signal_bond") == b.uuid]
    b.hangup()
    session.setVariable("transfer_ringback", "tone_stream://%(1000,0,440)")
    sim.answer_when("diff_ring", "1", "gentones")
    c = freeswitch.Session("`+ringingLeg+`", session)
    out += [c.ready(), sim.media()]
    quick = freeswitch.Session("loopback/park", session)
    out.append(sim.media())
    return out
`, nil)
	c.check(t, `[True, "answer; gentones %(1000,0,440)|-1", "Eff Name", "Outbound Call", None, None, `+
		`"L16@8000h@20i", "70", None, None, True, True, None, True, `+
		`True, "break, displace start tone_stream://%(1000,0,440), break, displace stop tone_stream://%(1000,0,440)", `+
		`"break, displace start tone_stream://%(1000,0,440), break, displace stop tone_stream://%(1000,0,440)"]`)
}

// TestWaitForAnswerRingback: a leg originated with return_ring_ready comes
// back ringing, not answered; waitForAnswer(calling_session) plays the
// calling session's ringback until it answers (scenario
// wait_for_answer_ringback).
func TestWaitForAnswerRingback(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    b = freeswitch.Session("{return_ring_ready=true,diff_ring=1}loopback/m:^:ring_ready^park/fsstar_test/inline", session)
    out = [b.ready(), b.answered(), b.mediaReady()]
    session.setVariable("ringback", "%(1000,0,440)")
    sim.answer_when("diff_ring", "1", "gentones")
    b.waitForAnswer(session)
    out += [b.answered(), sim.apps()]
    b.waitForAnswer(session)  # answered: nothing to play
    out.append(sim.apps())
    return out
`, nil)
	c.check(t, `[True, False, False, True, "answer; gentones %(1000,0,440)|-1", "answer; gentones %(1000,0,440)|-1"]`)
}

// TestOriginateCancelKey: the a-leg's origination_cancel_key ends the
// originate while the leg rings, with NO_ANSWER as the switch's, and the
// other keys pressed meanwhile are dropped (scenario originate_cancel_key);
// for an a-leg that has hung up it ends at once with the a-leg's cause
// (scenario originate_after_a_leg_hangup).
func TestOriginateCancelKey(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    session.setVariable("origination_cancel_key", "#")
    session.setVariable("ringback", "%(1000,0,440)")
    sim.dtmf("1", 0, during="gentones")
    sim.dtmf("#", 10, during="gentones")
    b = freeswitch.Session("loopback/m:^:ring_ready^park/fsstar_test/inline", session)
    return [b.ready(), b.hangupCause(), session.getVariable("originate_disposition"), session.getVariable("DIALSTATUS"), session.getDigits(5, "", 100)]
`, nil)
	c.check(t, `[False, "NO_ANSWER", "NO_ANSWER", "NOANSWER", ""]`)
	for _, ch := range r.sw.Channels() {
		if strings.HasPrefix(ch.Name(), "loopback/m:") {
			t.Errorf("leg %s still up after the cancel", ch.UUID())
		}
	}
	c = r.call(`
def handler(session, args):
    session.answer()
    session.hangup("USER_BUSY")
    b = freeswitch.Session("loopback/park", session)
    return [b.ready(), b.hangupCause()]
`, nil)
	c.check(t, `[False, "USER_BUSY"]`)
}
