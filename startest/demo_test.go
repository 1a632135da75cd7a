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
