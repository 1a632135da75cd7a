package esltest

import (
	"sync"

	"github.com/google/uuid"
)

// varStore is an ordered, concurrency-safe set of variables: channel
// variables are listed in events in the order they were first set.
type varStore struct {
	mu   sync.Mutex
	keys []string
	m    map[string]string
}

func newVarStore() *varStore { return &varStore{m: map[string]string{}} }

func (v *varStore) get(k string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s, ok := v.m[k]
	return s, ok
}

func (v *varStore) set(k, val string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.m[k]; !ok {
		v.keys = append(v.keys, k)
	}
	v.m[k] = val
}

func (v *varStore) unset(k string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.m[k]; !ok {
		return
	}
	delete(v.m, k)
	for i, x := range v.keys {
		if x == k {
			v.keys = append(v.keys[:i:i], v.keys[i+1:]...)
			break
		}
	}
}

// each calls fn for every variable in order.
func (v *varStore) each(fn func(k, val string)) {
	v.mu.Lock()
	keys := append([]string(nil), v.keys...)
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = v.m[k]
	}
	v.mu.Unlock()
	for i, k := range keys {
		fn(k, vals[i])
	}
}

func newUUID() string { return uuid.NewString() }
