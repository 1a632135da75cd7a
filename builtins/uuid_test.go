package builtins

import "testing"

// TestIsUUID: freeswitch.Session(x) attaches to a channel when x is a uuid
// in the switch's canonical form, and dials anything else.
func TestIsUUID(t *testing.T) {
	for s, want := range map[string]bool{
		"3f2b8c1e-9d4a-4e6b-8f0c-1a2b3c4d5e6f":          true,
		"3F2B8C1E-9D4A-4E6B-8F0C-1A2B3C4D5E6F":          true,
		"urn:uuid:3f2b8c1e-9d4a-4e6b-8f0c-1a2b3c4d5e6f": false,
		"{3f2b8c1e-9d4a-4e6b-8f0c-1a2b3c4d5e6f}":        false,
		"3f2b8c1e9d4a4e6b8f0c1a2b3c4d5e6f":              false,
		"3f2b8c1e-9d4a-4e6b-8f0c-1a2b3c4d5e6g":          false,
		"user/1000":                                     false,
		"":                                              false,
	} {
		if got := isUUID(s); got != want {
			t.Errorf("isUUID(%q) = %v, want %v", s, got, want)
		}
	}
}
