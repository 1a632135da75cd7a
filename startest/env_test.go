package startest

import "testing"

// TestNewEnvConnected: NewEnv returns with the server's inbound connection
// up, so a script's API() reaches the switch at once.
func TestNewEnvConnected(t *testing.T) {
	e, err := NewEnv(t.TempDir(), EnvOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if c := e.Server.Client(); c == nil || !c.Stats().Connected {
		t.Fatal("NewEnv returned before the inbound connection was up")
	}
}
