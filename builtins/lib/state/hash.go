package state

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/google/uuid"
)

// DefaultHashRealm is the mod_hash realm of the hash backend's keys. It
// does not start with "fsstar_": mod_hash keys are "<realm>_<key>", and
// park mode reads its claims as every key under "fsstar_".
const DefaultHashRealm = "fsstarstate"

// HashLockLease is how long a key's lock in the hash backend is good for: a
// writer that finds an older lock takes it over (its holder is taken for
// dead).
const HashLockLease = 5 * time.Second

// hashLockWait bounds how long a write waits for a key's lock.
const hashLockWait = 10 * time.Second

// Hash is the Store kept in the switch's own mod_hash (`hash` api) over an
// inbound ESL connection, so that every fsstar instance serving that switch
// sees the same state. mod_hash has neither expiry nor increment, so:
//
//   - a value is stored as "<expiry in Unix ms, 0 for none>.<base64url of the
//     JSON text>" (base64url: the hash api's argument parser strips quotes,
//     backslashes and spaces, and splits on "/");
//   - an expired value reads as absent and is deleted when a write meets
//     it; one nobody touches again stays in the switch's memory;
//   - every write (set, set_if_absent, incr, delete) holds the key's lock:
//     `hash insert_ifempty` of "<key>~lock" with a value naming the writer
//     and the lease's end, removed by `hash delete_ifmatch`. Writes to one key
//     are therefore serialized across instances, and reads (`hash select`)
//     never see a key missing in the middle of an update. Inside one instance
//     writers of a key queue on a mutex rather than on the switch. A lock
//     older than HashLockLease is taken over: an instance stalled longer than
//     that while holding one can lose its write.
//
// Expiry compares the instances' wall clocks: keep them in sync (NTP).
type Hash struct {
	client func() *esl.Client
	realm  string
	now    func() time.Time
	owner  string
	seq    atomic.Uint64
	seed   maphash.Seed
	stripe [64]sync.Mutex
}

// NewHash returns a hash-backed store. client returns the inbound ESL
// connection to use (nil while there is none: the operations then fail
// saying so); realm is the mod_hash realm (DefaultHashRealm when empty); now
// is the clock (time.Now when nil).
func NewHash(client func() *esl.Client, realm string, now func() time.Time) *Hash {
	if realm == "" {
		realm = DefaultHashRealm
	}
	if now == nil {
		now = time.Now
	}
	return &Hash{client: client, realm: realm, now: now, owner: uuid.NewString(), seed: maphash.MakeSeed()}
}

// Close implements Store; it does nothing (the connection is the server's).
func (h *Hash) Close() error { return nil }

// api runs "hash <sub>/<realm>/<key>[/<value>]". It returns the output, or
// ok false with the -ERR reply when the switch refused it.
func (h *Hash) api(ctx context.Context, sub, key, value string) (out string, ok bool, err error) {
	c := h.client()
	if c == nil {
		return "", false, errors.New("no inbound ESL connection to the switch (state-backend hash needs one)")
	}
	cmd := "hash " + sub + "/" + h.realm + "/" + key
	if value != "" {
		cmd += "/" + value
	}
	out, err = c.API(ctx, cmd)
	if esl.IsCommandNotFound(err) {
		return "", false, fmt.Errorf("the switch has no hash api (load mod_hash): %w", err)
	}
	if esl.IsNoReply(err) {
		return "", false, nil // select of an absent key
	}
	// The refusals the hash api answers a well-formed command with: the
	// key exists (insert_ifempty), is absent or holds another value
	// (delete, delete_ifmatch). Anything else is an error.
	if ce, isCE := errors.AsType[*esl.CommandError](err); isCE && hashRefusal(ce.Reply) {
		return ce.Reply, false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("hash %s: %w", sub, err)
	}
	return out, true, nil
}

// hashRefusal reports whether reply is mod_hash.c's answer to a condition
// that did not hold.
func hashRefusal(reply string) bool {
	switch strings.TrimSpace(reply) {
	case "-ERR key already exists", "-ERR Not found", "-ERR Doesn't match":
		return true
	}
	return false
}

// encode and decode the stored form of a value.
func (h *Hash) encode(value string, exp int64) string {
	return strconv.FormatInt(exp, 10) + "." + base64.RawURLEncoding.EncodeToString([]byte(value))
}

func decodeHash(raw string) (value string, exp int64, err error) {
	e, b, ok := strings.Cut(strings.TrimSpace(raw), ".")
	if !ok {
		return "", 0, fmt.Errorf("stored value %q is not fsstar's (<expiry>.<base64>)", raw)
	}
	exp, err = strconv.ParseInt(e, 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("stored value %q: bad expiry", raw)
	}
	v, err := base64.RawURLEncoding.DecodeString(b)
	if err != nil {
		return "", 0, fmt.Errorf("stored value %q: %w", raw, err)
	}
	return string(v), exp, nil
}

func (h *Hash) expiry(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return h.now().Add(ttl).UnixMilli()
}

func (h *Hash) expired(exp int64) bool { return exp != 0 && h.now().UnixMilli() >= exp }

// read selects key: raw is the stored text ("" when absent), live whether
// it holds an unexpired value.
func (h *Hash) read(ctx context.Context, key string) (raw, value string, exp int64, live bool, err error) {
	out, ok, err := h.api(ctx, "select", key, "")
	if err != nil {
		return "", "", 0, false, err
	}
	if !ok || out == "" { // absent
		return "", "", 0, false, nil
	}
	value, exp, err = decodeHash(out)
	if err != nil {
		return "", "", 0, false, err
	}
	return out, value, exp, !h.expired(exp), nil
}

// Get implements Store: one `hash select`.
func (h *Hash) Get(ctx context.Context, key string) (string, bool, error) {
	_, v, _, live, err := h.read(ctx, key)
	if err != nil || !live {
		return "", false, err
	}
	return v, true, nil
}

// locked runs f holding key's lock (in process, then in the switch).
func (h *Hash) locked(ctx context.Context, key string, f func() error) error {
	mu := &h.stripe[maphash.String(h.seed, key)%uint64(len(h.stripe))]
	mu.Lock()
	defer mu.Unlock()
	lockKey := key + "~lock"
	mine := h.owner + "-" + strconv.FormatUint(h.seq.Add(1), 10) + "." + strconv.FormatInt(h.now().Add(HashLockLease).UnixMilli(), 10)
	deadline := time.Now().Add(hashLockWait)
	backoff := 500 * time.Microsecond
	for {
		_, ok, err := h.api(ctx, "insert_ifempty", lockKey, mine)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		// Held: take over a lock whose lease ended.
		if out, ok, err := h.api(ctx, "select", lockKey, ""); err != nil {
			return err
		} else if ok && out != "" {
			if _, e, found := strings.Cut(strings.TrimSpace(out), "."); found {
				if end, perr := strconv.ParseInt(e, 10, 64); perr == nil && h.now().UnixMilli() >= end {
					if _, _, err := h.api(ctx, "delete_ifmatch", lockKey, strings.TrimSpace(out)); err != nil {
						return err
					}
					continue
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w (waited %s for %q)", ErrBusy, hashLockWait, lockKey)
		}
		t := time.NewTimer(backoff/2 + rand.N(backoff))
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
		backoff = min(backoff*2, 20*time.Millisecond)
	}
	ferr := f()
	// Unlock even when ctx ended, or the key stays locked for a lease.
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, _, err := h.api(uctx, "delete_ifmatch", lockKey, mine); err != nil && ferr == nil {
		ferr = fmt.Errorf("releasing the lock: %w", err)
	}
	return ferr
}

// put stores value under key (the lock is held): `hash insert`.
func (h *Hash) put(ctx context.Context, key, value string, exp int64) error {
	out, ok, err := h.api(ctx, "insert", key, h.encode(value, exp))
	if err == nil && !ok {
		err = fmt.Errorf("hash insert: %s", out)
	}
	return err
}

// checkSize refuses a stored form the api line should not carry.
func (h *Hash) checkSize(value string) error {
	if n := len(h.encode(value, 0)); n > 2*MaxValueBytes {
		return fmt.Errorf("value of %d bytes once encoded is too large", n)
	}
	return nil
}

// Set implements Store: lock, `hash insert`, unlock (3 round trips).
func (h *Hash) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if err := h.checkSize(value); err != nil {
		return err
	}
	return h.locked(ctx, key, func() error { return h.put(ctx, key, value, h.expiry(ttl)) })
}

// SetIfAbsent implements Store: lock, select, insert when absent, unlock.
func (h *Hash) SetIfAbsent(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	if err := h.checkSize(value); err != nil {
		return false, err
	}
	set := false
	err := h.locked(ctx, key, func() error {
		_, _, _, live, err := h.read(ctx, key)
		if err != nil || live {
			return err
		}
		set = true
		return h.put(ctx, key, value, h.expiry(ttl))
	})
	return set && err == nil, err
}

// Incr implements Store: lock, select, insert, unlock (4 round trips).
func (h *Hash) Incr(ctx context.Context, key string, by int64, ttl time.Duration) (int64, error) {
	var n int64
	err := h.locked(ctx, key, func() error {
		_, v, exp, live, err := h.read(ctx, key)
		if err != nil {
			return err
		}
		if !live {
			n, exp = by, h.expiry(ttl)
		} else {
			cur, err := parseInt(v)
			if err != nil {
				return err
			}
			if n, err = addInt(cur, by); err != nil {
				return err
			}
		}
		return h.put(ctx, key, strconv.FormatInt(n, 10), exp)
	})
	return n, err
}

// Delete implements Store: lock, select, delete, unlock.
func (h *Hash) Delete(ctx context.Context, key string) (bool, error) {
	was := false
	err := h.locked(ctx, key, func() error {
		raw, _, _, live, err := h.read(ctx, key)
		if err != nil || raw == "" {
			return err
		}
		was = live
		_, _, err = h.api(ctx, "delete", key, "")
		return err
	})
	return was && err == nil, err
}
