package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a contender running as its own process, in its own process
// group, so its CPU and RSS are its own and nothing outlives the harness.
type child struct {
	name string
	cmd  *exec.Cmd
	// Addr is the outbound socket address it serves.
	Addr string
	// HTTP is its HTTP gateway address, when it has one.
	HTTP string
	// PProf is its net/http/pprof address (fsstar built for profiling).
	PProf string

	mu     sync.Mutex
	output []string // the last lines of its stdout/stderr, for errors
	done   chan struct{}
}

// startChild runs argv with env added and waits until ready returns
// true for a line of its output (or, when ready is nil, until probe
// succeeds), within 60 s. With logPath its whole output is also written
// to that file.
func startChild(ctx context.Context, name string, argv, env []string, dir, logPath string, ready func(c *child, line string) bool, probe func(c *child) bool) (*child, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), env...)
	// Own process group (killed whole), and killed by the kernel if the
	// harness dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 3 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if logPath != "" {
		f, err := os.Create(logPath)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer f.Close() // the child has its own descriptor once started
		cmd.Stdout, cmd.Stderr = f, f
		pr, pw = io.Pipe() // nothing comes through it: ready must be nil
		pw.Close()
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", name, argv[0], err)
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			c.keep(sc.Text())
			select {
			case lines <- sc.Text():
			default:
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		cmd.Wait()
		pw.Close()
		close(c.done)
	}()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case line, ok := <-lines:
			if ok && ready != nil && ready(c, line) {
				return c, nil
			}
		case <-tick.C:
			if probe != nil && probe(c) {
				return c, nil
			}
		case <-c.done:
			return nil, fmt.Errorf("%s exited before it was ready: %s", name, c.tail())
		case <-deadline.C:
			c.Stop()
			return nil, fmt.Errorf("%s not ready within 60s: %s", name, c.tail())
		case <-ctx.Done():
			c.Stop()
			return nil, ctx.Err()
		}
	}
}

// readyLine accepts the "ready host:port" line the raw and modesl
// contenders print.
func readyLine(c *child, line string) bool {
	if addr, ok := strings.CutPrefix(line, "ready "); ok {
		c.Addr = strings.TrimSpace(addr)
		return true
	}
	return false
}

func (c *child) keep(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.output = append(c.output, line)
	if len(c.output) > 20 {
		c.output = c.output[len(c.output)-20:]
	}
}

func (c *child) tail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.output, " | ")
}

// Pid returns the process id.
func (c *child) Pid() int { return c.cmd.Process.Pid }

// Alive reports whether the process is still running.
func (c *child) Alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM to the process group, then SIGKILL after 3 s, and
// waits for the process.
func (c *child) Stop() error {
	if !c.Alive() {
		return nil
	}
	syscall.Kill(-c.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(3 * time.Second):
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	}
	if err := c.cmd.Err; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
