package server

import (
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md")

// TestConfigDocs fails when docs/configuration.md differs from what Params
// renders: the docs come from the same table as `fsstar serve -h`.
func TestConfigDocs(t *testing.T) {
	const path = "../docs/configuration.md"
	want := ConfigMarkdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./server -run TestConfigDocs -update)", err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("docs/configuration.md is stale; run go test ./server -run TestConfigDocs -update (-want +got):\n%s", diff)
	}
}
