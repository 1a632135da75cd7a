package loader_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/fsstar/fsstar/loader"
)

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct{ spec, mod, fn string }{
		{"ivr.main", "ivr.main", ""},
		{"ivr.main::night", "ivr.main", "night"},
		{"a", "a", ""},
		{"_x.y_2::_f", "_x.y_2", "_f"},
	} {
		mod, fn, err := loader.ParseSpec(tc.spec)
		if err != nil || mod != tc.mod || fn != tc.fn {
			t.Errorf("ParseSpec(%q) = %q, %q, %v; want %q, %q", tc.spec, mod, fn, err, tc.mod, tc.fn)
		}
	}
}

func TestBadNamesRefused(t *testing.T) {
	for _, spec := range []string{
		"", "..", "ivr..main", ".ivr", "ivr.", "../etc/passwd", "/etc/passwd", "ivr/main",
		`ivr\main`, "ivr\x00main", "%2e%2e.etc", "ivr.%2e%2e", "ivr.main::", "ivr.main::a.b",
		"ivr.main::night::x", "1ivr", "ivr.main star", "ïvr",
	} {
		_, _, err := loader.ParseSpec(spec)
		if err == nil {
			t.Errorf("ParseSpec(%q) accepted", spec)
			continue
		}
		if !strings.Contains(err.Error(), strconv.Quote(spec)) {
			t.Errorf("ParseSpec(%q) error %q does not name the input", spec, err)
		}
	}
}

func TestNormalizeLoad(t *testing.T) {
	good := map[string]string{"lib.util": "lib.util", "lib/util.star": "lib.util", "x.star": "x"}
	for in, want := range good {
		got, err := loader.NormalizeLoad(in)
		if err != nil || got != want {
			t.Errorf("NormalizeLoad(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"/lib/util.star", "../lib/util.star", "lib/../util.star", "./lib/util.star",
		"lib//util.star", "lib/util", `lib\util.star`, "lib/%2e%2e/util.star", "lib..util", ""} {
		if got, err := loader.NormalizeLoad(in); err == nil {
			t.Errorf("NormalizeLoad(%q) = %q, want an error", in, got)
		}
	}
}
