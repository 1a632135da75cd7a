package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// plot draws two bar charts side by side, by hand: calls/s at saturation
// (median bar, min–max whisker) and KiB per parked call at the largest
// parked size, one bar per contender.
func plot(cfg config, r *results) string {
	type bar struct {
		label         string
		med, min, max float64
		color         string
	}
	colors := map[string]string{"switch": "#9e9e9e", "fsstar": "#2e7d32", "fsstar-park": "#81c784", "raw": "#1565c0", "modesl": "#ef6c00"}
	var cps, rss []bar
	bigPark := 0
	for _, n := range cfg.Park {
		bigPark = max(bigPark, n)
	}
	for _, c := range r.Contenders {
		label := c.Key
		switch c.Key {
		case "switch":
			label = "switch alone"
		case "fsstar-park":
			label = "fsstar park"
		}
		if s := r.cps(c.Key); s.N > 0 {
			cps = append(cps, bar{label, s.Med, s.Min, s.Max, colors[c.Key]})
		}
		if s := r.parkKiB(c.Key, bigPark); s.N > 0 {
			rss = append(rss, bar{label, s.Med, s.Min, s.Max, colors[c.Key]})
		}
	}
	const W, H, panelW, top, bottom, left = 900, 380, 420, 50, 320, 60
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", W, H, W, H)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", W, H)
	title := fmt.Sprintf("fsstar benchmarks, %d cores: median of %d repetitions, whiskers min–max", r.Machine.Cores, cfg.Repeat)
	if cfg.Smoke {
		title = "SMOKE RUN (not a benchmark): " + title
	}
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(title))
	panel := func(x0 int, heading string, bars []bar, unit string, goal float64, goalLabel string) {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", x0, top-10, html.EscapeString(heading))
		if len(bars) == 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d">not measured</text>`+"\n", x0+20, top+60)
			return
		}
		hi := goal
		for _, br := range bars {
			hi = math.Max(hi, br.max)
		}
		hi = niceCeil(hi * 1.1)
		y := func(v float64) float64 { return bottom - (bottom-top)*v/hi }
		// axis and grid
		for i := 0; i <= 4; i++ {
			v := hi * float64(i) / 4
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e0e0e0"/>`+"\n", x0, x0+panelW-40, y(v), y(v))
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#555">%s</text>`+"\n", x0-4, y(v)+4, short(v))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555" transform="rotate(-90 %d %d)" text-anchor="middle">%s</text>`+"\n", x0-44, (top+bottom)/2, x0-44, (top+bottom)/2, html.EscapeString(unit))
		slot := float64(panelW-40) / float64(len(bars))
		bw := slot * 0.6
		for i, br := range bars {
			cx := float64(x0) + slot*(float64(i)+0.5)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", cx-bw/2, y(br.med), bw, bottom-y(br.med), br.color)
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black"/>`+"\n", cx, cx, y(br.min), y(br.max))
			for _, v := range []float64{br.min, br.max} {
				fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black"/>`+"\n", cx-6, cx+6, y(v), y(v))
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", cx, y(br.max)-6, short(br.med))
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", cx, bottom+16, html.EscapeString(br.label))
		}
		if goal > 0 {
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#c62828" stroke-dasharray="6 4"/>`+"\n", x0, x0+panelW-40, y(goal), y(goal))
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" fill="#c62828" text-anchor="end">%s</text>`+"\n", x0+panelW-40, y(goal)-4, html.EscapeString(goalLabel))
		}
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="black"/>`+"\n", x0, x0+panelW-40, bottom, bottom)
	}
	panel(left, fmt.Sprintf("calls/s at saturation (%d in flight)", cfg.Concurrency), cps, "calls/s", 0, "")
	panel(left+panelW+40, fmt.Sprintf("KiB RSS per parked call (%d calls)", bigPark), rss, "KiB per call", 100, "goal ≤ 100 KiB")
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">simulated switch (esltest) in the harness process; each contender its own process; 127.0.0.1 only</text>`+"\n", left, H-12)
	b.WriteString("</svg>\n")
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func short(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.0fk", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}
