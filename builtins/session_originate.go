package builtins

import (
	"context"
	"fmt"
	"strings"

	"github.com/fsstar/fsstar/esl"
)

// What a leg originated for an a-leg (freeswitch.Session(dest, a_leg),
// Session.originate(a_leg, dest)) inherits, as switch_ivr_originate gives
// it when mod_lua passes the a-leg's session, and what it leaves on the
// a-leg. The originate api has no a-leg, so fsstar reads the a-leg first
// (one uuid_dump) and writes the same variables itself:
//
//   - on the new leg: the a-leg's exported variables (export_vars, with
//     their nolocal: prefix removed) and export_vars itself; its caller ID
//     (effective_caller_id_name/number, else the a-leg's caller profile) and
//     effective_ani; originator, originating_leg_uuid and call_uuid;
//   - on the a-leg, once the originate is over: originate_disposition,
//     DIALSTATUS and, when the leg answered, signal_bond and one more entry
//     of originated_legs (uuid;callee name;callee number) and
//     originate_causes (uuid;NONE).
//
// Not inherited: the a-leg's codec (originator_codec) and the ringback the
// switch plays to the a-leg while the new leg rings.

// aLegInfo is what an originate reads of its a-leg.
type aLegInfo struct {
	uuid string
	vars []string // name=value for the new leg's {...}, quoted as dialVar does
	// cleanup lists the variables fsstar set on the new leg only to pass
	// the caller ID, which the switch leaves set (mod_lua's leg has none).
	cleanup []string
	// originatedLegs and originateCauses are the a-leg's values before.
	originatedLegs, originateCauses string
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
	}
	add := func(name, value string) bool {
		if value == "" || strings.ContainsAny(value, "{}[]<>\x00") {
			return false // a dial string cannot carry it (see dialVar)
		}
		a.vars = append(a.vars, name+"="+esl.QuoteArg(esl.QuoteArg(value)))
		return true
	}
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
		if given[v] {
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
	if ani := d.Variable("effective_ani"); ani != "" && !given["origination_ani"] {
		add("origination_ani", ani)
	}
	add("originator", uuid)
	add("originating_leg_uuid", uuid)
	add("call_uuid", d.Variable("call_uuid"))
	return a, nil
}

// dialStringVars returns the names set in the leading {...} of dest.
func dialStringVars(dest string) map[string]bool {
	names := map[string]bool{}
	rest, ok := strings.CutPrefix(dest, "{")
	if !ok {
		return names
	}
	body, _, ok := strings.Cut(rest, "}")
	if !ok {
		return names
	}
	for _, kv := range strings.Split(body, ",") {
		if name, _, ok := strings.Cut(kv, "="); ok {
			names[strings.TrimSpace(name)] = true
		}
	}
	return names
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

// afterOriginate writes on the a-leg what switch_ivr_originate leaves there,
// and removes from the new leg the caller-ID variables only fsstar set. leg
// is the new leg's uuid ("" when the originate failed with cause).
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
		}
	}
	if err := setVarsMulti(ctx, client, a.uuid, vars); err != nil {
		return fmt.Errorf("setting the originate's variables on the a-leg %s: %w", a.uuid, err)
	}
	if leg != "" && len(a.cleanup) > 0 {
		var unset [][2]string
		for _, name := range a.cleanup {
			unset = append(unset, [2]string{name, ""})
		}
		if err := setVarsMulti(ctx, client, leg, unset); err != nil {
			return fmt.Errorf("unsetting %v on the new leg %s: %w", a.cleanup, leg, err)
		}
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
