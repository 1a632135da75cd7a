package builtins

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/fsstar/fsstar/esl"
)

// What a leg originated for an a-leg (freeswitch.Session(dest, a_leg),
// Session.originate(a_leg, dest)) inherits, as switch_ivr_originate gives
// it when mod_lua passes the a-leg's session, and what it leaves on the
// a-leg. The originate api has no a-leg, so fsstar reads the a-leg first
// (one uuid_dump) and passes the rest in the dial string's {...}:
//
//   - origination_aleg_uuid: switch_core_session_outgoing_channel then
//     treats the a-leg as the originating session: originator,
//     originator_codec, signal_bond, max_forwards (70) and the originator
//     caller profile on the new leg, originate_signal_bond and the
//     originatee profile on the a-leg;
//   - the a-leg's exported variables (export_vars, with their nolocal:
//     prefix removed) and export_vars itself; its caller ID
//     (effective_caller_id_name/number, else the a-leg's caller profile)
//     and effective_ani; originating_leg_uuid and call_uuid; max_forwards
//     one less than the a-leg's (none left: the originate fails with
//     EXCHANGE_ROUTING_ERROR, as outgoing_channel refuses it);
//   - the a-leg's variables that switch_ivr_originate copies into the
//     originate when the dial string does not set them (originateALegVars:
//     ignore_early_media, instant_ringback, group_confirm_*, ...);
//   - on the a-leg, once the originate is over: originate_disposition,
//     DIALSTATUS and, when the leg answered, signal_bond (and
//     originate_signal_bond unset) and one more entry of originated_legs
//     (uuid;callee name;callee number) and originate_causes (uuid;NONE).
//
// While the leg rings (it signalled ring-ready or early media, or at once
// with instant_ringback) the a-leg hears its ringback (session_ringback.go),
// until the originate returns; the a-leg's hangup or its
// origination_cancel_key cancels the originate (originateFor).
//
// Every originated leg, with an a-leg or not, gets its caller ID back
// (restoreCallerID): the api's &park() routes the new leg, and routing an
// outbound leg flips its caller and callee ID (switch_channel_sort_cid),
// where mod_lua's leg is put in CS_SOFT_EXECUTE and never routed.

// aLegInfo is what an originate reads of its a-leg.
type aLegInfo struct {
	uuid string
	vars []string // name=value for the new leg's {...}, quoted as dialVar does
	// cleanup lists the variables fsstar set on the new leg only to pass
	// them to the originate, which the switch leaves set (mod_lua's leg
	// has none).
	cleanup []string
	// originatedLegs and originateCauses are the a-leg's values before.
	originatedLegs, originateCauses string
	// ringback is what the a-leg hears while the leg rings ("" for
	// nothing); instantRingback starts it at once.
	ringback        string
	instantRingback bool
	// cancelKey is the a-leg's origination_cancel_key.
	cancelKey string
	// refused is the cause the originate fails with before it starts.
	refused string
}

// originateALegVars are the a-leg variables switch_ivr_originate copies
// into the originate's variables when the dial string does not set them
// ("Copy all the missing applicable channel variables from A-leg").
var originateALegVars = []string{
	"group_confirm_key", "group_confirm_file", "group_confirm_read_timeout", "group_confirm_cancel_timeout",
	"group_confirm_timeout", "forked_dial", "fail_on_single_reject", "hangup_on_single_reject",
	"ignore_early_media", "bridge_early_media", "originate_continue_on_timeout", "ignore_ring_ready",
	"monitor_early_media_ring", "monitor_early_media_ring_total", "monitor_early_media_fail",
	"return_ring_ready", "ring_ready", "instant_ringback", "progress_timeout", "language",
}

// readALeg reads the a-leg of an originate whose dial string is dest (a
// caller ID set in dest's own {...} wins over the a-leg's).
func readALeg(ctx context.Context, client *esl.Client, uuid, dest string) (*aLegInfo, error) {
	out, err := client.API(ctx, "uuid_dump "+uuid+" json")
	if err != nil {
		return nil, fmt.Errorf("reading the a-leg %s: %w", uuid, err)
	}
	d, err := esl.ParseJSON([]byte(out))
	if err != nil {
		return nil, fmt.Errorf("reading the a-leg %s: uuid_dump: %w", uuid, err)
	}
	a := &aLegInfo{
		uuid:            uuid,
		originatedLegs:  d.Variable("originated_legs"),
		originateCauses: d.Variable("originate_causes"),
		ringback:        ringbackData(d.Variable, d.Get("Answer-State") == "answered"),
		cancelKey:       d.Variable("origination_cancel_key"),
	}
	add := func(name, value string) bool {
		if value == "" || strings.ContainsAny(value, "{}[]<>\x00") {
			return false // a dial string cannot carry it (see dialVar)
		}
		a.vars = append(a.vars, name+"="+esl.QuoteArg(esl.QuoteArg(value)))
		return true
	}
	add("origination_aleg_uuid", uuid)
	a.cleanup = append(a.cleanup, "origination_aleg_uuid")
	if exports := d.Variable("export_vars"); exports != "" {
		for _, name := range strings.Split(exports, ",") {
			name = strings.TrimSpace(name)
			local := strings.TrimPrefix(strings.TrimPrefix(name, "nolocal:"), "_nolocal_")
			if local != "" {
				add(local, d.Variable(name))
			}
		}
		add("export_vars", exports)
	}
	given := dialStringVars(dest)
	cid := func(v, effective, profile string) {
		if _, ok := given[v]; ok {
			return
		}
		value := d.Variable(effective)
		if value == "" {
			value = d.Get(profile)
		}
		if add(v, value) {
			a.cleanup = append(a.cleanup, v)
		}
	}
	cid("origination_caller_id_name", "effective_caller_id_name", "Caller-Caller-ID-Name")
	cid("origination_caller_id_number", "effective_caller_id_number", "Caller-Caller-ID-Number")
	if ani := d.Variable("effective_ani"); ani != "" {
		if _, ok := given["origination_ani"]; !ok {
			add("origination_ani", ani)
		}
	}
	add("originating_leg_uuid", uuid)
	add("call_uuid", d.Variable("call_uuid"))
	if mf := d.Variable("max_forwards"); mf != "" {
		n := cAtoi(mf) - 1
		if n <= 0 {
			a.refused = "EXCHANGE_ROUTING_ERROR"
		} else if _, ok := given["max_forwards"]; !ok {
			add("max_forwards", strconv.Itoa(n))
		}
	}
	instant, ok := given["instant_ringback"]
	for _, name := range originateALegVars {
		if _, ok := given[name]; ok {
			continue
		}
		if v := d.Variable(name); v != "" {
			add(name, v)
		}
	}
	if !ok {
		instant = d.Variable("instant_ringback")
	}
	a.instantRingback = switchTrue(instant)
	return a, nil
}

// dialStringVars returns the variables set in the leading {...} of dest,
// unquoted as the switch reads them.
func dialStringVars(dest string) map[string]string {
	vars := map[string]string{}
	rest, ok := strings.CutPrefix(dest, "{")
	if !ok {
		return vars
	}
	body, _, ok := strings.Cut(rest, "}")
	if !ok {
		return vars
	}
	for _, kv := range strings.Split(body, ",") {
		if name, value, ok := strings.Cut(kv, "="); ok {
			vars[strings.TrimSpace(name)] = strings.Trim(value, "'\"")
		}
	}
	return vars
}

// dialStatus is switch_ivr_originate's DIALSTATUS for a failed originate.
func dialStatus(cause string) string {
	switch cause {
	case "ORIGINATOR_CANCEL":
		return "CANCEL"
	case "USER_BUSY":
		return "BUSY"
	case "NO_ANSWER":
		return "NOANSWER"
	case "DESTINATION_OUT_OF_ORDER", "INVALID_PROFILE":
		return "INVALIDARGS"
	case "CALL_REJECTED":
		return "DONTCALL"
	}
	return cause
}

// pushArray appends v to a multi-value variable, as the switch's
// SWITCH_STACK_PUSH does ("ARRAY::a|:b").
func pushArray(old, v string) string {
	switch {
	case old == "":
		return v
	case strings.HasPrefix(old, "ARRAY::"):
		return old + "|:" + v
	}
	return "ARRAY::" + old + "|:" + v
}

// afterOriginate writes on the a-leg what switch_ivr_originate leaves there.
// leg is the new leg's uuid ("" when the originate failed with cause).
func (a *aLegInfo) afterOriginate(ctx context.Context, client *esl.Client, leg, cause string) error {
	vars := [][2]string{{"originate_disposition", cause}, {"DIALSTATUS", dialStatus(cause)}}
	if leg != "" {
		out, err := client.API(ctx, "uuid_dump "+leg+" json")
		if err != nil {
			return fmt.Errorf("reading the new leg %s: %w", leg, err)
		}
		d, err := esl.ParseJSON([]byte(out))
		if err != nil {
			return fmt.Errorf("reading the new leg %s: uuid_dump: %w", leg, err)
		}
		vars = [][2]string{
			{"originate_disposition", "SUCCESS"},
			{"DIALSTATUS", "SUCCESS"},
			{"originated_legs", pushArray(a.originatedLegs, leg+";"+callee(d, "Name")+";"+callee(d, "Number"))},
			{"originate_causes", pushArray(a.originateCauses, leg+";NONE")},
			{"signal_bond", leg},
			{"originate_signal_bond", ""}, // outgoing_channel's, dropped once signal_bond is set
		}
	}
	if err := setVarsMulti(ctx, client, a.uuid, vars); err != nil {
		return fmt.Errorf("setting the originate's variables on the a-leg %s: %w", a.uuid, err)
	}
	return nil
}

// restoreCallerID undoes, on a leg the originate api has just parked, the
// caller-ID flip of its routing (switch_channel_flip_cid: caller and
// callee ID swapped, the old caller ID kept in pre_transfer_caller_id_*,
// channel_cid_flipped=yes), and unsets the variables fsstar set only to
// pass them to the originate (cleanup). One application does it all:
// execute_extension of an inline extension whose set_profile_var and
// unset apps read the values from the channel when they run (each app's
// data is expanded then; the execute's own expansion is escaped), so no
// caller-ID text goes through a command line. What stays: the flip's
// CALL_UPDATE event, and the leg's logical direction, which routing made
// inbound (CF_DIALPLAN).
func restoreCallerID(ctx context.Context, ctl channelCtl, leg string, cleanup []string) error {
	apps := []string{
		"set_profile_var:callee_id_name=${caller_id_name}",
		"set_profile_var:callee_id_number=${caller_id_number}",
		"set_profile_var:caller_id_name=${pre_transfer_caller_id_name}",
		"set_profile_var:caller_id_number=${pre_transfer_caller_id_number}",
		"unset:pre_transfer_caller_id_name",
		"unset:pre_transfer_caller_id_number",
		"unset:channel_cid_flipped",
	}
	for _, name := range cleanup {
		apps = append(apps, "unset:"+name)
	}
	data := esl.EscapeVars("m:^:"+strings.Join(apps, "^")) + " inline"
	if _, err := ctl.execute(ctx, leg, "execute_extension", data, nil); err != nil {
		return fmt.Errorf("restoring the caller ID of the new leg %s: %w", leg, err)
	}
	return nil
}

// setVarsMulti sets (or, with an empty value, unsets) variables of the
// channel uuid in one uuid_setvar_multi, each value quoted for the
// switch's split on ';'.
func setVarsMulti(ctx context.Context, client *esl.Client, uuid string, vars [][2]string) error {
	parts := make([]string, len(vars))
	for i, kv := range vars {
		parts[i] = kv[0] + "="
		if kv[1] != "" {
			parts[i] += esl.QuoteArg(kv[1])
		}
	}
	_, err := client.API(ctx, "uuid_setvar_multi "+uuid+" "+strings.Join(parts, ";"))
	return err
}

// callee is the new leg's callee_id_name or _number (what answered) as the
// switch reads it when the originate returns. The originate api's &park()
// has since flipped the leg's caller ID (switch_channel_sort_cid, as for
// every outbound leg that runs an application): the callee is then in the
// caller fields.
func callee(d *esl.Event, which string) string {
	if v := d.Variable("callee_id_" + strings.ToLower(which)); v != "" {
		return v
	}
	if d.Variable("channel_cid_flipped") == "yes" {
		return d.Get("Caller-Caller-ID-" + which)
	}
	return d.Get("Caller-Callee-ID-" + which)
}
