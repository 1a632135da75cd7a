// Package membudget bounds the memory that Starlark scripts hold, per
// call and for the whole process.
//
// Starlark itself has no allocation limit: "x" * 1000000000 passes its
// own size check and allocates a gigabyte, and a loop that grows a list
// is bounded only by the step limit. A Pool holds the two budgets; every
// call's thread gets a Meter from it (Attach). The meter stops the
// thread with a *BudgetError in two ways:
//
//   - before an operation that builds a large value from small operands:
//     Rewrite turns +, * and % (and +=, *=, %=) into calls of guards that
//     work out the size of the result first and refuse it when the call,
//     or all calls together, would pass their budget;
//   - by measurement: every few tens of thousands of steps (riding on the
//     thread's step limit, Thread.OnMaxSteps) and whenever a guard finds
//     the estimate over budget, the meter walks the values the thread's
//     frames hold (locals and closures, shared values counted once) and
//     cancels the thread if they are over its budget or push all calls
//     together over the process budget.
//
// The bound is on what scripts hold, estimated from the values' sizes;
// Go's own overhead and the frozen module globals shared by every call
// are not in it. Between two measurements a script can grow by what a
// few tens of thousands of steps append, or by one result of a builtin
// that is not guarded (str.join, str.replace, str.format, list.extend);
// the next measurement stops it.
package membudget

import (
	"errors"
	"fmt"
	"sync/atomic"

	"go.starlark.net/starlark"
)

// Defaults used by fsstar's configuration.
const (
	// DefaultPerCall is the default budget of one call: far above what
	// call logic holds (a few KB), far below what hurts a switch host.
	DefaultPerCall = 64 << 20
	// DefaultProcess is the default budget of all calls together.
	DefaultProcess = 1 << 30
)

// checkEvery is the number of steps between two measurements of a
// thread that holds little; a thread that holds much is measured less
// often (every 8 visited values' worth of steps), so that measuring
// costs a bounded fraction of the run.
const checkEvery = 50_000

// smallResult is the result size under which a guard does not count:
// most + and * build small strings and numbers.
const smallResult = 1 << 10

// ErrBudget is matched by errors.Is for every *BudgetError.
var ErrBudget = errors.New("memory budget exceeded")

// BudgetError says which budget a script passed and by how much.
type BudgetError struct {
	// Process is true when all calls together passed the process budget;
	// false when this call passed its own.
	Process bool
	// Held is what the call held at the last measurement, in bytes.
	Held int64
	// Need is the size of the refused result (0 when a measurement found
	// the call over budget).
	Need int64
	// What names the refused operation ("string * 1000000000"), or
	// "holds" for a measurement.
	What string
	// Budget is the budget passed, in bytes; Total what all calls held.
	Budget, Total int64
}

func (e *BudgetError) Error() string {
	var b string
	switch {
	case e.Need > 0 && e.Process:
		b = fmt.Sprintf("%s needs %s while all calls hold %s of the process budget of %s", e.What, Bytes(e.Need), Bytes(e.Total), Bytes(e.Budget))
	case e.Need > 0:
		b = fmt.Sprintf("%s needs %s while the call holds %s of its budget of %s", e.What, Bytes(e.Need), Bytes(e.Held), Bytes(e.Budget))
	case e.Process:
		b = fmt.Sprintf("the call holds %s and all calls %s, over the process budget of %s", Bytes(e.Held), Bytes(e.Total), Bytes(e.Budget))
	default:
		b = fmt.Sprintf("the call holds more than its budget of %s (measured %d bytes)", Bytes(e.Budget), e.Held)
	}
	return "memory budget: " + b
}

// Is makes errors.Is(err, ErrBudget) true.
func (e *BudgetError) Is(target error) bool { return target == ErrBudget }

// Bytes formats n bytes for people: "512 B", "1.5 KiB", "64.0 MiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// Pool is the process's account: the two budgets and what all attached
// meters hold. Its budgets can change while calls run (SetLimits). The
// zero Pool has no budget; use NewPool.
type Pool struct {
	perCall atomic.Int64
	process atomic.Int64
	used    atomic.Int64
	stopped atomic.Int64
}

// NewPool returns a pool with a budget per call and one for all calls
// together, in bytes; 0 means no limit.
func NewPool(perCall, process int64) *Pool {
	p := &Pool{}
	p.SetLimits(perCall, process)
	return p
}

// SetLimits changes the budgets; calls already running see the new ones
// at their next check.
func (p *Pool) SetLimits(perCall, process int64) {
	p.perCall.Store(perCall)
	p.process.Store(process)
}

// Used returns the bytes all attached meters hold (as last measured, plus
// what guards let through since).
func (p *Pool) Used() int64 { return p.used.Load() }

// Stopped returns how many threads a budget has stopped.
func (p *Pool) Stopped() int64 { return p.stopped.Load() }

// Meter is one thread's account. It lives on the thread (Attach) and is
// used only from the thread's goroutine, except Release.
type Meter struct {
	pool     *Pool
	held     int64 // bytes at the last measurement
	since    int64 // bytes guards let through since then
	maxSteps uint64
	every    uint64
	onLimit  func(*starlark.Thread)
	// building holds, for each comprehension running on the thread, the
	// elements it has built so far, which only the meter can see.
	building []*starlark.List
	err      atomic.Pointer[BudgetError]
	released atomic.Bool
}

const localKey = "fsstar.membudget.meter"

// Attach gives thread a meter from p, and takes over its step limit:
// maxSteps (0: none) is enforced as before, calling onStepLimit when it
// is reached (nil: Starlark's default, thread.Cancel("too many steps")),
// and between steps the meter measures what the thread holds. Call
// Release when the thread is done. A nil pool attaches nothing and only
// sets the step limit.
func (p *Pool) Attach(thread *starlark.Thread, maxSteps uint64, onStepLimit func(*starlark.Thread)) *Meter {
	if onStepLimit == nil {
		onStepLimit = func(t *starlark.Thread) { t.Cancel("too many steps") }
	}
	if p == nil {
		if maxSteps > 0 {
			thread.SetMaxExecutionSteps(maxSteps)
			thread.OnMaxSteps = onStepLimit
		}
		return nil
	}
	m := &Meter{pool: p, maxSteps: maxSteps, every: checkEvery, onLimit: onStepLimit}
	thread.SetLocal(localKey, m)
	thread.OnMaxSteps = m.onSteps
	m.schedule(thread)
	return m
}

// Release returns what the thread held to the pool. It is safe to call
// more than once and on a nil meter.
func (m *Meter) Release() {
	if m == nil || m.released.Swap(true) {
		return
	}
	m.pool.used.Add(-(m.held + m.since))
}

// Err returns the budget error that stopped the thread, or nil.
func (m *Meter) Err() *BudgetError {
	if m == nil {
		return nil
	}
	return m.err.Load()
}

// Held returns what the thread held at its last measurement.
func (m *Meter) Held() int64 { return m.held }

func meterOf(thread *starlark.Thread) *Meter {
	m, _ := thread.Local(localKey).(*Meter)
	return m
}

// schedule sets the thread's next stop: the step limit or the next
// measurement, whichever comes first.
func (m *Meter) schedule(thread *starlark.Thread) {
	next := thread.Steps + m.every
	if m.maxSteps > 0 && m.maxSteps < next {
		next = m.maxSteps
	}
	thread.SetMaxExecutionSteps(next)
}

// onSteps is the thread's OnMaxSteps.
func (m *Meter) onSteps(thread *starlark.Thread) {
	if m.maxSteps > 0 && thread.Steps >= m.maxSteps {
		m.onLimit(thread)
		return
	}
	if err := m.measure(thread, 0, ""); err != nil {
		m.stop(thread, err)
		return
	}
	m.schedule(thread)
}

// stop records err and cancels the thread with it.
func (m *Meter) stop(thread *starlark.Thread, err *BudgetError) {
	if m.err.CompareAndSwap(nil, err) {
		m.pool.stopped.Add(1)
	}
	thread.Cancel(err.Error())
}

// measure walks what the thread's frames hold, settles the pool, and
// checks that held+need fits both budgets.
func (m *Meter) measure(thread *starlark.Thread, need int64, what string) *BudgetError {
	perCall, process := m.pool.perCall.Load(), m.pool.process.Load()
	limit := perCall
	if process > 0 && (limit == 0 || process < limit) {
		limit = process
	}
	s := newSizer(limit)
	for _, l := range m.building {
		s.add(l)
	}
	for i := 0; i < thread.CallStackDepth() && !s.over(); i++ {
		fr := thread.DebugFrame(i)
		if fn, ok := fr.Callable().(*starlark.Function); ok {
			for j := range fr.NumLocals() {
				_, v := fr.Local(j)
				s.add(v)
			}
			s.add(fn)
			if fn.Name() == "<toplevel>" {
				// A module being loaded: its globals are what it holds
				// (a call's frames only see the frozen globals of loaded
				// modules, which no call is charged for).
				for _, v := range fn.Globals() {
					s.add(v)
				}
			}
		}
	}
	// Measuring again costs about as much as this walk did: space the
	// measurements so that they stay a small part of the run.
	m.every = max(checkEvery, uint64(s.nodes)*8)
	total := m.pool.used.Add(s.total - m.held - m.since)
	m.held, m.since = s.total, 0
	if perCall > 0 && m.held+need > perCall {
		return &BudgetError{Held: m.held, Need: need, What: what, Budget: perCall}
	}
	if process > 0 && total+need > process {
		return &BudgetError{Process: true, Held: m.held, Need: need, What: what, Budget: process, Total: total}
	}
	return nil
}

// reserve accounts for a result of need bytes about to be built by the
// operation what, measuring first when the estimate says it would not
// fit; the error refuses the operation. what names the operation; it is
// called only for the error.
func (m *Meter) reserve(thread *starlark.Thread, need int64, what func() string) error {
	perCall, process := m.pool.perCall.Load(), m.pool.process.Load()
	if (perCall > 0 && m.held+m.since+need > perCall) || (process > 0 && m.pool.used.Load()+need > process) {
		if err := m.measure(thread, need, what()); err != nil {
			if m.err.CompareAndSwap(nil, err) {
				m.pool.stopped.Add(1)
			}
			return err
		}
	}
	m.since += need
	m.pool.used.Add(need)
	return nil
}
