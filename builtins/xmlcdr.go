package builtins

import (
	"encoding/xml"
	"strings"

	"github.com/fsstar/fsstar/esl"
)

// stateNumbers are switch_channel_state_t's values.
var stateNumbers = map[string]string{
	"CS_NEW": "0", "CS_INIT": "1", "CS_ROUTING": "2", "CS_SOFT_EXECUTE": "3", "CS_EXECUTE": "4",
	"CS_EXCHANGE_MEDIA": "5", "CS_PARK": "6", "CS_CONSUME_MEDIA": "7", "CS_HIBERNATE": "8",
	"CS_RESET": "9", "CS_HANGUP": "10", "CS_REPORTING": "11", "CS_DESTROY": "12",
}

// profileFields are the caller_profile elements of an XML CDR
// (switch_ivr_set_xml_profile_data) and the Caller-* header each comes from.
var profileFields = [][2]string{
	{"username", "Caller-Username"}, {"dialplan", "Caller-Dialplan"},
	{"caller_id_name", "Caller-Caller-ID-Name"}, {"caller_id_number", "Caller-Caller-ID-Number"},
	{"callee_id_name", "Caller-Callee-ID-Name"}, {"callee_id_number", "Caller-Callee-ID-Number"},
	{"ani", "Caller-ANI"}, {"aniii", "Caller-ANI-II"}, {"network_addr", "Caller-Network-Addr"},
	{"rdnis", "Caller-RDNIS"}, {"destination_number", "Caller-Destination-Number"},
	{"uuid", "Caller-Unique-ID"}, {"source", "Caller-Source"}, {"context", "Caller-Context"},
	{"chan_name", "Caller-Channel-Name"},
}

// timeFields are the times elements of a callflow and their headers.
var timeFields = [][2]string{
	{"created_time", "Caller-Channel-Created-Time"}, {"profile_created_time", "Caller-Profile-Created-Time"},
	{"progress_time", "Caller-Channel-Progress-Time"}, {"progress_media_time", "Caller-Channel-Progress-Media-Time"},
	{"answered_time", "Caller-Channel-Answered-Time"}, {"hangup_time", "Caller-Channel-Hangup-Time"},
	{"transfer_time", "Caller-Channel-Transfer-Time"},
}

// xmlCDR writes a channel's data (uuid_dump) in the shape of the switch's
// XML CDR (switch_ivr_generate_xml_cdr, what mod_lua's getXMLCDR returns):
// <cdr core-uuid switchname><channel_data> state, direction,
// state_number</channel_data><variables> each variable URL-encoded
// </variables><callflow><caller_profile>...</caller_profile><times>...
// </times></callflow></cdr>. The switch's app_log, hold records and
// extension list have no ESL source and are left out.
func xmlCDR(d *esl.Event) string {
	var b strings.Builder
	text := func(s string) string {
		var t strings.Builder
		xml.EscapeText(&t, []byte(s))
		return t.String()
	}
	elem := func(indent, name, value string) {
		b.WriteString(indent + "<" + name + ">" + text(value) + "</" + name + ">\n")
	}
	b.WriteString(`<?xml version="1.0"?>` + "\n")
	b.WriteString(`<cdr core-uuid="` + text(d.Get("Core-UUID")) + `" switchname="` + text(d.Get("FreeSWITCH-Switchname")) + "\">\n")
	b.WriteString("  <channel_data>\n")
	state := d.Get("Channel-State")
	elem("    ", "state", state)
	elem("    ", "direction", d.Get("Call-Direction"))
	elem("    ", "state_number", stateNumbers[state])
	b.WriteString("  </channel_data>\n  <variables>\n")
	for _, h := range d.Headers {
		if name, ok := strings.CutPrefix(h.Name, "variable_"); ok && name != "" {
			elem("    ", name, esl.URLEncode(h.Value))
		}
	}
	b.WriteString("  </variables>\n")
	b.WriteString(`  <callflow dialplan="` + text(d.Get("Caller-Dialplan")) + `" profile_index="` + text(d.Get("Caller-Profile-Index")) + "\">\n")
	b.WriteString("    <caller_profile>\n")
	for _, f := range profileFields {
		elem("      ", f[0], d.Get(f[1]))
	}
	b.WriteString("    </caller_profile>\n    <times>\n")
	for _, f := range timeFields {
		elem("      ", f[0], d.Get(f[1]))
	}
	b.WriteString("    </times>\n  </callflow>\n</cdr>\n")
	return b.String()
}
