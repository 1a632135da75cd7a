package engine

import (
	"sync/atomic"
	"time"

	"github.com/fsstar/fsstar/loader"
)

// Entry names an entry-point kind, for metrics.
type Entry int

// The entry-point kinds, one per Engine method.
const (
	EntryHandler Entry = iota
	EntryFSAPI
	EntryRuntime
	EntryXMLFetch
	EntryEventHook
	EntryHangupHook
	EntryInputCallback
	EntryCall
	numEntries
)

// String returns the entry point's Starlark name (or "call").
func (k Entry) String() string {
	return [...]string{"handler", "fsapi", "runtime", "xml_fetch", "event_hook", "hangup_hook", "input_callback", "call"}[k]
}

// durationBuckets are the upper bounds of the call duration histogram
// (read only).
var durationBuckets = [...]time.Duration{
	100 * time.Microsecond, time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond,
	time.Second, 10 * time.Second, time.Minute, 10 * time.Minute,
}

type entryCounters struct {
	calls, errors, cancelled, stepLimited, memoryLimited atomic.Uint64
}

// metrics are plain atomic counters; Stats copies them.
type metrics struct {
	entries  [numEntries]entryCounters
	inFlight atomic.Int64
	durSum   atomic.Int64 // nanoseconds
	durCount atomic.Uint64
	buckets  [len(durationBuckets) + 1]atomic.Uint64 // last is +Inf
}

// DurationBuckets returns the upper bounds of the call duration histogram
// that Stats.DurationBuckets counts against.
func DurationBuckets() []time.Duration { return durationBuckets[:] }

func (m *metrics) observe(d time.Duration) {
	m.durSum.Add(int64(d))
	m.durCount.Add(1)
	i := 0
	for i < len(durationBuckets) && d > durationBuckets[i] {
		i++
	}
	m.buckets[i].Add(1)
}

// EntryStats counts the calls of one entry-point kind.
type EntryStats struct {
	Calls uint64
	// Errors counts every failed call, including the two kinds below.
	Errors uint64
	// Cancelled counts calls stopped by their context (hangup, timeout,
	// shutdown).
	Cancelled uint64
	// StepLimited counts calls stopped by the step limit.
	StepLimited uint64
	// MemoryLimited counts calls stopped by the memory budget
	// (WithMemoryBudget).
	MemoryLimited uint64
}

// Stats is a snapshot of the engine's counters, in a shape a Prometheus
// collector can export (counters, a gauge and a cumulative histogram).
type Stats struct {
	// Entries is indexed by Entry.
	Entries [numEntries]EntryStats
	// InFlight is the number of calls running now.
	InFlight int64
	// DurationCount and DurationSum summarize call durations.
	DurationCount uint64
	DurationSum   time.Duration
	// DurationBuckets[i] counts calls that took at most DurationBuckets()[i]
	// (cumulative, as Prometheus wants); the last element counts all calls.
	DurationBuckets [len(durationBuckets) + 1]uint64
	// Loader holds the loader's counters (loads, reloads, failures...).
	Loader loader.Stats
}

// Total sums the counters of every entry kind.
func (s Stats) Total() EntryStats {
	var t EntryStats
	for _, e := range s.Entries {
		t.Calls += e.Calls
		t.Errors += e.Errors
		t.Cancelled += e.Cancelled
		t.StepLimited += e.StepLimited
		t.MemoryLimited += e.MemoryLimited
	}
	return t
}

// Stats returns a snapshot of the counters.
func (e *Engine) Stats() Stats {
	var s Stats
	for i := range s.Entries {
		c := &e.m.entries[i]
		s.Entries[i] = EntryStats{Calls: c.calls.Load(), Errors: c.errors.Load(), Cancelled: c.cancelled.Load(), StepLimited: c.stepLimited.Load(), MemoryLimited: c.memoryLimited.Load()}
	}
	s.InFlight = e.m.inFlight.Load()
	s.DurationCount = e.m.durCount.Load()
	s.DurationSum = time.Duration(e.m.durSum.Load())
	var cum uint64
	for i := range s.DurationBuckets {
		cum += e.m.buckets[i].Load()
		s.DurationBuckets[i] = cum
	}
	s.Loader = e.ld.Stats()
	return s
}
