package esl

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// DefaultEventBuffer is the queue size of a Subscription when none is given.
const DefaultEventBuffer = 256

// Match selects the events a Subscription receives. A zero Match receives
// every event the connection gets.
type Match struct {
	// UUID, when set, keeps only events about that channel (Event.UniqueID,
	// which also looks at Job-Owner-UUID).
	UUID string
	// Names, when set, keeps only events whose Event-Name or Event-Subclass
	// is one of them ("DTMF", "CHANNEL_HANGUP", "fsstar::demo").
	Names []string
	// Logs makes the subscription receive log/data frames instead of events
	// (as Events whose headers are the frame's Log-* headers and whose body
	// is the log line). Only with Client.Log.
	Logs bool
	// Buffer is the queue size; 0 means the connection's default.
	Buffer int
}

func (m *Match) matches(e *Event, log bool) bool {
	if m.Logs != log {
		return false
	}
	if log {
		return true
	}
	if m.UUID != "" && e.UniqueID() != m.UUID {
		return false
	}
	if len(m.Names) > 0 {
		name, sub := e.Name(), e.Subclass()
		if !slices.Contains(m.Names, name) && (sub == "" || !slices.Contains(m.Names, sub)) {
			return false
		}
	}
	return true
}

// Subscription is a bounded queue of events routed to one consumer.
//
// Overflow policy: the connection's reader never waits for a consumer. When
// an event arrives for a Subscription whose queue is full, the Subscription
// is closed: the events already queued can still be read, then Next returns
// an *OverflowError (errors.Is ErrOverflow). Nothing is dropped silently
// from the middle of the stream, so a consumer never sees a gap it cannot
// detect; FreeSWITCH treats its own overflowing listeners the same way.
// Len reports the queue depth for metrics.
type Subscription struct {
	match  Match
	router *router
	cap    int

	mu     sync.Mutex
	q      []*Event // ring buffer of cap entries
	head   int
	n      int
	err    error // set once: the subscription is closed
	notify chan struct{}

	delivered atomic.Uint64
}

func newSubscription(r *router, m Match, def int) *Subscription {
	n := m.Buffer
	if n <= 0 {
		n = def
	}
	if n <= 0 {
		n = DefaultEventBuffer
	}
	return &Subscription{match: m, router: r, cap: n, q: make([]*Event, n), notify: make(chan struct{}, 1)}
}

// push queues e without blocking; it closes the subscription on overflow.
func (s *Subscription) push(e *Event) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	if s.n == s.cap {
		s.err = &OverflowError{Capacity: s.cap}
		s.mu.Unlock()
		s.router.drops.Add(1)
		s.router.remove(s)
		s.wake()
		return
	}
	s.q[(s.head+s.n)%s.cap] = e
	s.n++
	s.mu.Unlock()
	s.delivered.Add(1)
	s.wake()
}

func (s *Subscription) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Next returns the next event, waiting until one arrives, the subscription
// ends or ctx is done. Once the queue is empty and the subscription closed
// it returns the reason: ErrClosed, ErrConnLost, a *HangupError or an
// *OverflowError.
func (s *Subscription) Next(ctx context.Context) (*Event, error) {
	for {
		s.mu.Lock()
		if s.n > 0 {
			e := s.q[s.head]
			s.q[s.head] = nil
			s.head = (s.head + 1) % s.cap
			s.n--
			s.mu.Unlock()
			return e, nil
		}
		err := s.err
		s.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-s.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// TryNext returns the next queued event without waiting, or nil.
func (s *Subscription) TryNext() *Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return nil
	}
	e := s.q[s.head]
	s.q[s.head] = nil
	s.head = (s.head + 1) % s.cap
	s.n--
	return e
}

// Len returns the number of events waiting in the queue (its depth).
func (s *Subscription) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Cap returns the queue size.
func (s *Subscription) Cap() int { return s.cap }

// Delivered returns how many events were queued for this subscription.
func (s *Subscription) Delivered() uint64 { return s.delivered.Load() }

// Err returns why the subscription ended, or nil while it is open.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription; queued events are discarded. It is idempotent.
func (s *Subscription) Close() {
	s.end(ErrClosed)
	s.mu.Lock()
	clear(s.q)
	s.n = 0
	s.mu.Unlock()
}

// end closes the subscription with err unless it is already closed.
func (s *Subscription) end(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.router.remove(s)
	s.wake()
}

// router holds the subscriptions of a Client or Conn. It outlives the
// individual TCP connections of a reconnecting Client.
//
// Subscriptions for one channel (Match.UUID) are indexed by it: a
// connection that drives many calls (park mode: one subscription per call)
// hands each event to its channel's subscriptions and the few others,
// without matching it against every call's.
type router struct {
	def int

	mu     sync.Mutex
	other  []*Subscription            // no Match.UUID; copy on write
	byUUID map[string][]*Subscription // by Match.UUID; each slice copy on write
	count  int
	err    error         // set when closed: new subscriptions start closed
	drops  atomic.Uint64 // subscriptions closed by overflow
	routed atomic.Uint64
}

func (r *router) add(m Match) *Subscription {
	s := newSubscription(r, m, r.def)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		s.err = r.err
		return s
	}
	if m.UUID == "" {
		r.other = append(slices.Clip(r.other), s)
	} else {
		if r.byUUID == nil {
			r.byUUID = map[string][]*Subscription{}
		}
		r.byUUID[m.UUID] = append(slices.Clip(r.byUUID[m.UUID]), s)
	}
	r.count++
	return s
}

func (r *router) remove(s *Subscription) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id := s.match.UUID; id != "" {
		subs := r.byUUID[id]
		if i := slices.Index(subs, s); i >= 0 {
			if len(subs) == 1 {
				delete(r.byUUID, id)
			} else {
				r.byUUID[id] = slices.Delete(slices.Clone(subs), i, i+1)
			}
			r.count--
		}
		return
	}
	if i := slices.Index(r.other, s); i >= 0 {
		r.other = slices.Delete(slices.Clone(r.other), i, i+1)
		r.count--
	}
}

// snapshot returns every subscription.
func (r *router) snapshot() []*Subscription {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := make([]*Subscription, 0, r.count)
	all = append(all, r.other...)
	for _, subs := range r.byUUID {
		all = append(all, subs...)
	}
	return all
}

// route hands e to every matching subscription without blocking: the ones
// of its channel and the ones for no channel in particular.
func (r *router) route(e *Event, log bool) {
	r.routed.Add(1)
	r.mu.Lock()
	other := r.other
	var keyed []*Subscription
	if !log {
		if id := e.UniqueID(); id != "" {
			keyed = r.byUUID[id]
		}
	}
	r.mu.Unlock()
	for _, s := range other {
		if s.match.matches(e, log) {
			s.push(e)
		}
	}
	for _, s := range keyed {
		if s.match.matches(e, log) {
			s.push(e)
		}
	}
}

// len returns the number of subscriptions.
func (r *router) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

// depth returns the total number of queued events over all subscriptions.
func (r *router) depth() (n int) {
	for _, s := range r.snapshot() {
		n += s.Len()
	}
	return n
}

// close ends every subscription with err; later ones start closed.
func (r *router) close(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	subs := append([]*Subscription(nil), r.other...)
	for _, keyed := range r.byUUID {
		subs = append(subs, keyed...)
	}
	r.other, r.byUUID, r.count = nil, nil, 0
	r.mu.Unlock()
	for _, s := range subs {
		s.end(err)
	}
}
