package membudget

import (
	"testing"

	"go.starlark.net/starlark"
)

// benchSrc is call-logic-shaped work: counters, small string building,
// arithmetic on variables.
const benchSrc = `
def work():
    total = 0
    parts = []
    for i in range(1000):
        total = total + i * 3 % 7
        key = "digit_" + str(i % 10)
        parts.append(key + ":" + str(total))
    return len(parts)
n = work()
`

// BenchmarkGuards compares the same program compiled plainly, rewritten
// without a meter, and rewritten with a meter: the cost of the memory
// budget on ordinary code.
func BenchmarkGuards(b *testing.B) {
	for _, c := range []struct {
		name           string
		rewrite, meter bool
	}{{"plain", false, false}, {"rewritten", true, false}, {"rewritten+meter", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			prog := compile(b, benchSrc, c.rewrite, nil)
			pool := NewPool(DefaultPerCall, DefaultProcess)
			b.ReportAllocs()
			for b.Loop() {
				thread := &starlark.Thread{}
				var m *Meter
				if c.meter {
					m = pool.Attach(thread, 10_000_000, nil)
				}
				if _, err := prog.Init(thread, Predeclared()); err != nil {
					b.Fatal(err)
				}
				m.Release()
			}
		})
	}
}
