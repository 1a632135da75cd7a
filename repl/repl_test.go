package repl

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/internal/testutil"
)

// newREPL returns a REPL connected to a simulated switch, with a script
// directory holding ivr/menu.star.
func newREPL(t *testing.T) (*REPL, *testutil.SyncBuffer, *testutil.SyncBuffer) {
	t.Helper()
	sw := esltest.NewSwitch(t)
	c, err := esl.Dial(context.Background(), sw.Addr(), esl.WithPassword(sw.Password()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ivr"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := "PROMPT = 'welcome.wav'\n\ndef handler(session, args):\n    session.streamFile(PROMPT)\n"
	if err := os.WriteFile(filepath.Join(dir, "ivr", "menu.star"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errs testutil.SyncBuffer
	r, err := New(Options{ScriptDirs: []string{dir}, Client: c, Stdout: &out, Stderr: &errs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, &out, &errs
}

func TestComplete(t *testing.T) {
	r, _, _ := newREPL(t)
	ctx := context.Background()
	if err := r.Exec(ctx, "setup", []byte("ev = freeswitch.Event('CUSTOM', 'a::b')\nlongname_1 = 1\napi = freeswitch.API()\nlongname_2 = 2\n")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		word    string
		want    []string // must be among the candidates
		partial string
	}{
		{"freeswitch.con", []string{"consoleCleanLog", "consoleLog"}, "con"},
		{"freeswitch.", []string{"API", "Event", "EventConsumer", "Session", "consoleLog", "msleep"}, ""},
		{"api.exe", []string{"execute", "executeString"}, "exe"},
		{"ev.get", []string{"getBody", "getHeader", "getType"}, "get"},
		{"longna", []string{"longname_1", "longname_2"}, "longna"},
		{"fre", []string{"freeswitch"}, "fre"},
		{"js", []string{"json"}, "js"},
		{"json.enc", []string{"encode"}, "enc"},
		{"wh", []string{"while"}, "wh"},
		{"le", []string{"len"}, "le"},
	} {
		got, partial := r.Complete(tc.word)
		if partial != tc.partial {
			t.Errorf("Complete(%q) partial = %q, want %q", tc.word, partial, tc.partial)
		}
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("Complete(%q) = %v, missing %q", tc.word, got, w)
			}
		}
		for _, g := range got {
			if !strings.HasPrefix(g, tc.partial) {
				t.Errorf("Complete(%q) offers %q", tc.word, g)
			}
		}
	}
	if got, _ := r.Complete("nosuch.x"); len(got) != 0 {
		t.Errorf("Complete(nosuch.x) = %v, want none", got)
	}

	// readline gets the suffixes after the word under the cursor.
	line := []rune("x = freeswitch.consoleC")
	sfx, n := completer{r}.Do(line, len(line))
	if n != len("consoleC") || len(sfx) != 1 || string(sfx[0]) != "leanLog" {
		t.Errorf("Do = %q, %d; want [leanLog], %d", sfx, n, len("consoleC"))
	}
}

// TestLoopInterrupt: Ctrl-C cancels the running chunk, not the REPL.
func TestLoopInterrupt(t *testing.T) {
	r, out, errs := newREPL(t)
	in, feed := io.Pipe()
	interrupt := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() { done <- r.Loop(context.Background(), LoopOptions{Stdin: in, Interrupt: interrupt}) }()

	deadline := time.Now().Add(20 * time.Second)
	// interruptUntil sends Ctrl-C until stderr shows the n-th cancellation.
	interruptUntil := func(n int) {
		t.Helper()
		for strings.Count(errs.String(), "interrupted (Ctrl-C)") < n {
			if time.Now().After(deadline) {
				t.Fatalf("the chunk was not interrupted; stderr: %s", errs.String())
			}
			select {
			case interrupt <- os.Interrupt:
			default:
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	io.WriteString(feed, "while True:\n    pass\n\n")
	interruptUntil(1)
	// A builtin blocked on the call's context ends as well.
	io.WriteString(feed, "freeswitch.msleep(600000)\n")
	interruptUntil(2)
	// A Session made in one statement is interrupted in a later one, and
	// lives on.
	io.WriteString(feed, "s = freeswitch.Session('user/1000')\ns.answer()\nprint('ready')\n")
	for !strings.Contains(out.String(), "ready") {
		if time.Now().After(deadline) {
			t.Fatalf("no session; stderr: %s", errs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	io.WriteString(feed, "s.sleep(600000)\n")
	interruptUntil(3)
	io.WriteString(feed, "s.ready()\n")
	io.WriteString(feed, "1 + 1\nload('ivr.menu', 'PROMPT')\nPROMPT\n")
	feed.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Loop did not end at end of input")
	}
	// s.answer() prints its result: 1, as CoreSession::answer.
	if got, want := out.String(), "1\nready\nTrue\n2\n\"welcome.wav\"\n"; got != want {
		t.Errorf("stdout = %q, want %q (stderr %q)", got, want, errs.String())
	}
	if !strings.Contains(errs.String(), "Traceback") {
		t.Errorf("stderr has no backtrace: %q", errs.String())
	}
}

// TestLoopTerminal drives readline as on a terminal: prompts, and the
// history file.
func TestLoopTerminal(t *testing.T) {
	r, out, errs := newREPL(t)
	hist := filepath.Join(t.TempDir(), "history")
	// Tab at the start of a line indents; after a name it completes.
	in := io.NopCloser(strings.NewReader("def f():\n\treturn 'ok'\n\nf()\nfreeswitch.consoleL\t\n"))
	if err := r.Loop(context.Background(), LoopOptions{Stdin: in, Terminal: true, HistoryFile: hist, noRaw: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "'ok'") && !strings.Contains(out.String(), `"ok"`) {
		t.Errorf("stdout = %q, want the value of f()", out.String())
	}
	if !strings.Contains(out.String(), "<built-in function freeswitch.consoleLog>") {
		t.Errorf("stdout = %q, want freeswitch.consoleLog completed and printed", out.String())
	}
	if !strings.Contains(out.String(), Prompt) || !strings.Contains(out.String(), MorePrompt) {
		t.Errorf("stdout = %q, want prompts", out.String())
	}
	data, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "f()") {
		t.Errorf("history = %q, want the lines typed", data)
	}
	_ = errs
}
