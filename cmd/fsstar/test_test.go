package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTestCommand(t *testing.T) {
	var out, errb bytes.Buffer
	code := dispatch([]string{"test", "../../startest/testdata/basic", "app.failing", "-run", "test_fails"}, &out, &errb)
	if code != 1 {
		t.Errorf("exit %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "    app/failing_test.star:3: greeting: got \"bob\", want \"alice\"\n") ||
		!strings.Contains(out.String(), "0 passed, 1 failed\n") {
		t.Errorf("output:\n%s", out.String())
	}
	out.Reset()
	if code := dispatch([]string{"test", "-v", "../../startest/testdata/basic", "app.hello"}, &out, &errb); code != 0 {
		t.Errorf("exit %d, want 0\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "--- PASS: test_call") || !strings.Contains(out.String(), "3 passed, 0 failed\n") {
		t.Errorf("output:\n%s", out.String())
	}
	for _, args := range [][]string{{"test", "../../startest/testdata/broken"}, {"test", "-run", "(", "../../startest/testdata/basic"}, {"test", "nope/dir/x"}} {
		out.Reset()
		errb.Reset()
		if code := dispatch(args, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s%s", args, code, out.String(), errb.String())
		}
	}
}

func TestDemoCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch([]string{"demo", "-scripts", "../../scripts"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"call 1 → ivr.main::night", "caller 1001 is Bob Example", "Hello, 1000!"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	if code := dispatch([]string{"demo", "-scripts", "nope"}, &out, &errb); code != 2 {
		t.Errorf("missing scripts dir: exit %d, want 2", code)
	}
}
