package main

import (
	"bytes"
	"testing"
)

// TestCheckExampleScripts keeps the examples in scripts/ clean for
// `fsstar check`.
func TestCheckExampleScripts(t *testing.T) {
	var out, errs bytes.Buffer
	if code := dispatch([]string{"check", "../../scripts"}, &out, &errs); code != 0 {
		t.Fatalf("fsstar check ../../scripts: status %d\n%s%s", code, out.String(), errs.String())
	}
}
