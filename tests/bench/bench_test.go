package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmoke builds the harness and runs it in -smoke mode (seconds), so
// the harness cannot rot: every contender that this machine can run must
// complete its calls, and the report and plot must be written.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the benchmark harness")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bench")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "BENCHMARKS.md")
	cmd := exec.CommandContext(ctx, bin, "-smoke", "-out", out)
	b, err := cmd.CombinedOutput()
	t.Logf("%s", b)
	if err != nil {
		t.Fatalf("bench -smoke: %v", err)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Goals", "Smoke run", "## Calls per second at saturation", "| raw Go (esl package) |", "fsstar serve (Starlark)", "fsstar serve, park mode (Starlark)", "Node modesl", "## Save → reload latency", "On a real FreeSWITCH"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	svg, err := os.ReadFile(filepath.Join(dir, "BENCHMARKS.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(svg), "<svg") || !strings.HasSuffix(strings.TrimSpace(string(svg)), "</svg>") {
		t.Errorf("plot is not an SVG document: %.100s", svg)
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(ds, c.p); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if percentile(nil, 99) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

func TestSpread(t *testing.T) {
	s := spreadOf([]float64{3, 1, 2})
	if s.Min != 1 || s.Med != 2 || s.Max != 3 || s.N != 3 {
		t.Errorf("spreadOf = %+v", s)
	}
	if got := s.fmtSpread("%.0f"); got != "2 (1–3)" {
		t.Errorf("fmtSpread = %q", got)
	}
}

func TestProcSelf(t *testing.T) {
	if _, err := procCPU(0); err != nil {
		t.Fatal(err)
	}
	rss, err := procRSS(0)
	if err != nil || rss <= 0 {
		t.Fatalf("procRSS = %d, %v", rss, err)
	}
	if m := machine(); m.Cores <= 0 || m.MemTotal <= 0 {
		t.Errorf("machine = %+v", m)
	}
}
