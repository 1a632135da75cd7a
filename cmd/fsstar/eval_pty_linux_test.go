package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fsstar/fsstar/internal/testutil"
)

// openPty returns a pseudo-terminal's master and slave ends.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pty slave: %v", err)
	}
	return master, slave
}

// TestEvalTerminal drives `fsstar eval -sim` through a pseudo-terminal, as
// a person would: prompts, a block over several lines, Tab completion,
// Ctrl-C stopping a running loop (and not the REPL), Ctrl-C at the prompt,
// Ctrl-D leaving, and the history file.
func TestEvalTerminal(t *testing.T) {
	bin, err := exec.LookPath("fsstar") // installed by testscript.Main
	if err != nil {
		t.Skip("fsstar is not installed in PATH (run through TestMain)")
	}
	master, slave := openPty(t)
	defer master.Close()
	hist := filepath.Join(t.TempDir(), "history")
	cmd := exec.Command(bin, "eval", "-sim", "-history", hist)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var out testutil.SyncBuffer
	go io.Copy(&out, master)
	defer cmd.Process.Kill()

	// Each step has its own deadline: with both cores busy (the whole
	// suite running) one shared budget ran out before the last step.
	const step = 20 * time.Second
	expect := func(s string) {
		t.Helper()
		deadline := time.Now().Add(step)
		for !strings.Contains(out.String(), s) {
			if time.Now().After(deadline) {
				t.Fatalf("terminal never showed %q; it shows:\n%s", s, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	typ := func(s string) {
		t.Helper()
		if _, err := master.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}

	expect("Ctrl-D leaves")
	expect(">>> ")
	typ("freeswitch.API().execute('hostname')\r")
	expect("\"vm\"")
	typ("def f(x):\r")
	expect("... ")
	typ("\treturn x + 1\r\r") // Tab at the start of a line indents
	typ("f(41)\r")
	expect("42")
	typ("freeswitch.msl\t(10)\r") // Tab completes a unique name
	expect("freeswitch.msleep(10)")
	typ("freeswitch.consoleLog(\"info\", \"completed\")\r")
	expect("completed: fs_level=info")
	// Ctrl-C while a loop runs. A Ctrl-C that lands while the chunk is
	// still being read drops the chunk (the loop would never run, and no
	// later Ctrl-C could stop it), so the loop says when it runs ("spin" +
	// "ning" is not in its echoed source) before the first Ctrl-C; Ctrl-C
	// again until one lands while the chunk runs.
	typ("def spin():\r    print(\"spin\" + \"ning\")\r    while True:\r        pass\r\r")
	typ("spin()\r")
	expect("spinning")
	deadline := time.Now().Add(step)
	for i := 0; !strings.Contains(out.String(), "interrupted (Ctrl-C)"); i++ {
		if time.Now().After(deadline) {
			t.Fatalf("Ctrl-C did not stop the loop:\n%s", out.String())
		}
		if i%50 == 0 {
			typ("\x03")
		}
		time.Sleep(10 * time.Millisecond)
	}
	typ("1 + 1\r")
	expect("\n2")
	typ("\x03") // Ctrl-C at the prompt drops the line
	typ("\x04") // Ctrl-D leaves
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("fsstar eval: %v\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("fsstar eval did not leave on Ctrl-D:\n%s", out.String())
	}
	data, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"def f(x):", "f(41)", "1 + 1"} {
		if !strings.Contains(string(data), line+"\n") {
			t.Errorf("history lacks %q:\n%s", line, data)
		}
	}
}
