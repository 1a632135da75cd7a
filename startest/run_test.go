package startest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func run(t *testing.T, o Options) (Summary, string) {
	t.Helper()
	var out bytes.Buffer
	o.Out = &out
	s, err := Run(o)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return s, out.String()
}

func TestPassingModule(t *testing.T) {
	s, out := run(t, Options{Root: "testdata/basic", Modules: []string{"app.hello"}, Verbose: true})
	if s.Passed != 3 || s.Failed != 0 || s.ExitCode() != 0 {
		t.Errorf("summary %+v, want 3 passed\n%s", s, out)
	}
	for _, want := range []string{"=== RUN   test_call\n", "--- PASS: test_call (", "ok  \ttestdata/basic\t", "3 passed, 0 failed\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestFailuresReportTheAssertionLine(t *testing.T) {
	s, out := run(t, Options{Root: "testdata/basic", Modules: []string{"app.failing_test"}})
	if s.Passed != 0 || s.Failed != 4 || s.ExitCode() != 1 {
		t.Errorf("summary %+v, want 4 failed\n%s", s, out)
	}
	for _, want := range []string{
		"--- FAIL: test_fails (",
		"    app/failing_test.star:3: greeting: got \"bob\", want \"alice\"\n",
		"    app/failing_test.star:4: False is not true\n",
		"    app/failing_test.star:8: key \"missing\" not in dict\n",
		"    app/failing_test.star:11: app.hello::boom: call failed: fail: boom\n",
		"    app/failing_test.star:14: stop here\n",
		"FAIL\ttestdata/basic\t",
		"0 passed, 4 failed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not reached") {
		t.Errorf("t.fatal did not stop the test:\n%s", out)
	}
	if strings.Contains(out, "=== RUN") || strings.Contains(out, "--- PASS") {
		t.Errorf("non-verbose output shows passing tests:\n%s", out)
	}
}

func TestRunPattern(t *testing.T) {
	s, out := run(t, Options{Root: "testdata/basic", Run: "^test_(call|fatal)$"})
	if s.Passed != 1 || s.Failed != 1 {
		t.Errorf("summary %+v, want 1 passed 1 failed\n%s", s, out)
	}
}

func TestLoadErrorIsExitTwo(t *testing.T) {
	s, out := run(t, Options{Root: "testdata/broken"})
	if s.LoadErrors != 1 || s.ExitCode() != 2 {
		t.Errorf("summary %+v, want a load error\n%s", s, out)
	}
	if !strings.Contains(out, "bad_test.star:2:1: got newline") {
		t.Errorf("load error lacks file:line:\n%s", out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, o := range []Options{
		{Root: "testdata/nope"},
		{Root: "testdata/basic", Run: "("},
		{Root: "testdata/basic", Modules: []string{"app.missing"}},
		{Root: "testdata/basic", Modules: []string{"../etc"}},
	} {
		var out bytes.Buffer
		o.Out = &out
		_, err := Run(o)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("Run(%+v) = %v, want a UsageError", o, err)
		}
	}
}

// TestHTTPFixture: t.http answers the scripts' http requests from a local
// server the run allows, per test, and t.http_requests shows what they sent.
func TestHTTPFixture(t *testing.T) {
	s, out := run(t, Options{Root: "testdata/web", Verbose: true})
	if s.Passed != 3 || s.Failed != 0 {
		t.Fatalf("summary %+v, want 3 passed:\n%s", s, out)
	}
}
