package startest

import (
	"bytes"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := Demo(DemoOptions{Scripts: "../scripts", Out: &out}); err != nil {
		t.Fatalf("Demo: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		"call 1 → ivr.main::night",
		"  answer\n",
		"  playback ivr/ivr-office_hours.wav\n",
		"  hangup NORMAL_CLEARING\n",
		"call 2 → ivr.main",
		"  caller pressed 2\n  menu: play ivr/ivr-menu.wav and collect digits: got 2\n",
		"  script logs: ivr sales: caller chose 2 (support)\n  fsstar transferred the call to 1002/default/XML; its dialplan runs now\n",
		"call 3 → examples.call_logger",
		"  script logs: call log: ",
		"call 4 → examples.caller_name",
		"caller 1001 is Bob Example",
		`<action application="bridge" data="user/1001@${domain_name}"/>`,
		"  answer: Hello, 1000!\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
}
