package devtools

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fsstar/fsstar/esl/esltest"
)

func TestDialUnreachable(t *testing.T) {
	_, err := Dial(context.Background(), "127.0.0.1:1", "s3cret")
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UnreachableError", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "cannot reach the switch's event socket at 127.0.0.1:1: ") || strings.Contains(msg, "\n") {
		t.Errorf("message %q: want one line naming the address", msg)
	}
}

func TestDialWrongPasswordNotPrinted(t *testing.T) {
	sw := esltest.NewSwitch(t)
	_, err := Dial(context.Background(), sw.Addr(), "not-"+sw.Password())
	if err == nil {
		t.Fatal("wrong password accepted")
	}
	if strings.Contains(err.Error(), "not-"+sw.Password()) {
		t.Errorf("message %q shows the password", err)
	}
	c, err := Dial(context.Background(), sw.Addr(), sw.Password())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}
