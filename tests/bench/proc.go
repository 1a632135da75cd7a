package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat;
// Linux fixes it at 100 for user space whatever the kernel's HZ.
const clockTick = 10 * time.Millisecond

// procCPU returns utime+stime of process pid (0 means this process) from
// /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	p := "self"
	if pid > 0 {
		p = strconv.Itoa(pid)
	}
	b, err := os.ReadFile("/proc/" + p + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after it are
	// counted from the closing parenthesis.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%s/stat: no command name", p)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%s/stat: %d fields", p, len(f))
	}
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%s/stat: bad utime/stime %q %q", p, f[11], f[12])
	}
	return time.Duration(ut+st) * clockTick, nil
}

// procRSS returns VmRSS of process pid (0 means this process) in bytes,
// from /proc/<pid>/status.
func procRSS(pid int) (int64, error) {
	p := "self"
	if pid > 0 {
		p = strconv.Itoa(pid)
	}
	v, err := statusField("/proc/"+p+"/status", "VmRSS:")
	return v * 1024, err
}

// statusField reads a "Name:   N kB" line of a /proc file.
func statusField(path, name string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, name); ok {
			fs := strings.Fields(rest)
			if len(fs) == 0 {
				break
			}
			return strconv.ParseInt(fs[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s line", path, name)
}

// Machine describes the computer a run happened on.
type Machine struct {
	Cores    int
	MemTotal int64 // bytes
	CPU      string
	Kernel   string
	Go       string
	Node     string
	// Load is /proc/loadavg's 1-minute figure at the start and the end of
	// the run: other work on the machine.
	LoadStart, LoadEnd string
	// Source is the commit fsstar was built from, and the Go files that
	// differed from it in the working tree.
	Source string
}

// sourceOf describes the working tree at root: "commit abc1234", plus the
// Go files with uncommitted changes ("" outside git).
func sourceOf(ctx context.Context, root string) string {
	head, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	out := "commit " + strings.TrimSpace(string(head))
	st, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--", "*.go").Output()
	if err != nil {
		return out
	}
	var dirty []string
	for line := range strings.SplitSeq(strings.TrimRight(string(st), "\n"), "\n") {
		if len(line) > 3 {
			dirty = append(dirty, strings.TrimSpace(line[3:]))
		}
	}
	if len(dirty) > 0 {
		out += " with uncommitted changes to " + strings.Join(dirty, ", ")
	}
	return out
}

// loadAvg returns the 1-minute load average from /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), CPU: "unknown", Kernel: "unknown", LoadStart: loadAvg()}
	if v, err := statusField("/proc/meminfo", "MemTotal:"); err == nil {
		m.MemTotal = v * 1024
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
				break
			}
		}
	}
	return m
}
