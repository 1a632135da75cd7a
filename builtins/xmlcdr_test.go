package builtins

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/fsstar/fsstar/esl"
)

// TestXMLCDRShape: getXMLCDR reads as the switch's XML CDR: well-formed,
// /cdr/variables/<name> holds the URL-encoded value, /cdr/callflow/
// caller_profile the Caller-* fields.
func TestXMLCDRShape(t *testing.T) {
	d := &esl.Event{}
	for _, h := range [][2]string{
		{"Core-UUID", "core"}, {"FreeSWITCH-Switchname", "vm"}, {"Channel-State", "CS_EXECUTE"},
		{"Call-Direction", "inbound"}, {"Caller-Destination-Number", "7000"}, {"Caller-Unique-ID", "u-1"},
		{"variable_note", "a <b> & c"}, {"variable_empty", ""},
	} {
		d.Headers.Add(h[0], h[1])
	}
	var cdr struct {
		XMLName  xml.Name `xml:"cdr"`
		Core     string   `xml:"core-uuid,attr"`
		State    string   `xml:"channel_data>state"`
		StateNum string   `xml:"channel_data>state_number"`
		Note     string   `xml:"variables>note"`
		Dest     string   `xml:"callflow>caller_profile>destination_number"`
	}
	out := xmlCDR(d)
	if err := xml.Unmarshal([]byte(out), &cdr); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out)
	}
	if cdr.Core != "core" || cdr.State != "CS_EXECUTE" || cdr.StateNum != "4" || cdr.Dest != "7000" || cdr.Note != esl.URLEncode("a <b> & c") {
		t.Fatalf("cdr = %+v\n%s", cdr, out)
	}
	if !strings.Contains(out, "<empty></empty>") {
		t.Fatalf("an empty variable is missing:\n%s", out)
	}
}
