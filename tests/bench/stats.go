package main

import (
	"fmt"
	"sort"
	"time"
)

// spread is the min, median and max of one figure over the repetitions.
type spread struct {
	Min, Med, Max float64
	N             int
}

func spreadOf(xs []float64) spread {
	if len(xs) == 0 {
		return spread{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{Min: s[0], Med: med, Max: s[len(s)-1], N: len(s)}
}

// fmtSpread writes "med (min–max)" with format f for each number.
func (s spread) fmtSpread(f string) string {
	if s.N == 0 {
		return "—"
	}
	if s.N == 1 {
		return fmt.Sprintf(f, s.Med)
	}
	return fmt.Sprintf(f+" ("+f+"–"+f+")", s.Med, s.Min, s.Max)
}

// ms formats a duration in milliseconds with enough digits.
func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < 100*time.Microsecond:
		return fmt.Sprintf("%.3f", float64(d)/1e6)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.1f", float64(d)/1e6)
	}
}

func msFloat(d time.Duration) float64 { return float64(d) / 1e6 }
