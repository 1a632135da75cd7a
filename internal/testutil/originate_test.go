package testutil

import (
	"strings"
	"testing"
)

func TestOriginateInline(t *testing.T) {
	got, err := OriginateInline("{origination_uuid=u1}loopback/park/fsstar_test", "set:a=b,set:c=${a},park")
	if err != nil {
		t.Fatal(err)
	}
	want := `originate {origination_uuid=u1}loopback/park/fsstar_test '&transfer(\'set:a=b,set:c=\${a},park\' inline)'`
	if got != want {
		t.Errorf("OriginateInline:\n got %s\nwant %s", got, want)
	}
	app, err := InlineApp("set:x=1,park", "fsstar_test")
	if err != nil {
		t.Fatal(err)
	}
	if want := `'&transfer(\'set:x=1,park\' inline fsstar_test)'`; app != want {
		t.Errorf("InlineApp with a context:\n got %s\nwant %s", app, want)
	}
}

func TestInlineAppRefuses(t *testing.T) {
	for _, tc := range []struct{ apps, ctx, says string }{
		{"playback:tone_stream://%(0,0,440)", "", "parenthesis"},
		{"set:a='b'", "", "quote"},
		{`set:a=\n`, "", "backslash"},
		{"park", "two words", "space"},
		{"park", "${ctx}", "$"},
		{"", "", "none given"},
	} {
		_, err := InlineApp(tc.apps, tc.ctx)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("InlineApp(%q, %q) = %v, want an error saying %q", tc.apps, tc.ctx, err, tc.says)
		}
	}
	if _, err := OriginateInline("loopback/x", "a)"); err == nil || !strings.Contains(err.Error(), "originate loopback/x") {
		t.Errorf("OriginateInline's error %v does not name the dial string", err)
	}
}
