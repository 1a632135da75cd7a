package server_test

import (
	"os"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl/esltest"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// appNames lists the apps ch ran, each as "name arg".
func appNames(ch *esltest.Channel) []string {
	var out []string
	for _, a := range ch.Apps() {
		out = append(out, a.Name+" "+a.Arg)
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
