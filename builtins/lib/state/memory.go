package state

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Memory is the in-process Store: a map with expiry, bounded to a maximum of
// live entries. Expired entries are dropped when they are read and, when the
// map is full, by a sweep (at most one a second). It is not shared between
// fsstar instances, and is empty after a restart.
type Memory struct {
	max int
	now func() time.Time

	mu        sync.Mutex
	m         map[string]memEntry
	lastSweep time.Time
}

type memEntry struct {
	value string
	exp   time.Time // zero: no expiry
}

// NewMemory returns an in-process store holding at most max live entries
// (DefaultMaxEntries when max <= 0). now is the clock (time.Now when nil;
// tests pass their own).
func NewMemory(max int, now func() time.Time) *Memory {
	if max <= 0 {
		max = DefaultMaxEntries
	}
	if now == nil {
		now = time.Now
	}
	return &Memory{max: max, now: now, m: map[string]memEntry{}}
}

func (m *Memory) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return m.now().Add(ttl)
}

// live returns key's entry when present and not expired (dropping an
// expired one). m.mu is held.
func (m *Memory) live(key string) (memEntry, bool) {
	e, ok := m.m[key]
	if !ok {
		return e, false
	}
	if !e.exp.IsZero() && !m.now().Before(e.exp) {
		delete(m.m, key)
		return e, false
	}
	return e, true
}

// room makes room for one new key. m.mu is held.
func (m *Memory) room() error {
	if len(m.m) < m.max {
		return nil
	}
	now := m.now()
	if now.Sub(m.lastSweep) >= time.Second {
		m.lastSweep = now
		for k, e := range m.m {
			if !e.exp.IsZero() && !now.Before(e.exp) {
				delete(m.m, k)
			}
		}
	}
	if len(m.m) < m.max {
		return nil
	}
	return fmt.Errorf("%w: %d live entries (state-max-entries)", ErrFull, m.max)
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.live(key)
	return e.value, ok, nil
}

// Set implements Store.
func (m *Memory) Set(_ context.Context, key, value string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.live(key); !ok {
		if err := m.room(); err != nil {
			return err
		}
	}
	m.m[key] = memEntry{value: value, exp: m.expiry(ttl)}
	return nil
}

// SetIfAbsent implements Store.
func (m *Memory) SetIfAbsent(_ context.Context, key, value string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.live(key); ok {
		return false, nil
	}
	if err := m.room(); err != nil {
		return false, err
	}
	m.m[key] = memEntry{value: value, exp: m.expiry(ttl)}
	return true, nil
}

// Incr implements Store.
func (m *Memory) Incr(_ context.Context, key string, by int64, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.live(key)
	if !ok {
		if err := m.room(); err != nil {
			return 0, err
		}
		m.m[key] = memEntry{value: strconv.FormatInt(by, 10), exp: m.expiry(ttl)}
		return by, nil
	}
	n, err := parseInt(e.value)
	if err != nil {
		return 0, err
	}
	if n, err = addInt(n, by); err != nil {
		return 0, err
	}
	e.value = strconv.FormatInt(n, 10)
	m.m[key] = e
	return n, nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.live(key)
	delete(m.m, key)
	return ok, nil
}

// Len returns the number of entries held, expired ones not yet dropped
// included.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.m)
}

// Close implements Store; it does nothing.
func (m *Memory) Close() error { return nil }
