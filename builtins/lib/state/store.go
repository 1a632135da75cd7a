package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Limits on keys and values, the same for every backend.
const (
	// MaxKeyBytes bounds the length of a key.
	MaxKeyBytes = 200
	// MaxValueBytes bounds the JSON text of a value.
	MaxValueBytes = 16 << 10
	// DefaultMaxEntries is the default bound of the in-process store.
	DefaultMaxEntries = 100000
)

// Store is a backend of the state module. Values are JSON texts (the state
// module encodes and decodes them); a counter's value is a decimal integer.
// A ttl of 0 means no expiry. Every method is safe for concurrent use.
type Store interface {
	// Get returns the value of key, ok false when it is absent or expired.
	Get(ctx context.Context, key string) (value string, ok bool, err error)
	// Set stores value under key, replacing any value and its expiry.
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	// SetIfAbsent stores value only when key is absent (or expired) and
	// reports whether it did.
	SetIfAbsent(ctx context.Context, key, value string, ttl time.Duration) (bool, error)
	// Incr adds by to the integer under key and returns the new value. An
	// absent (or expired) key starts at 0 and gets ttl; an existing one keeps
	// its expiry. A value that is not an integer is ErrNotInteger.
	Incr(ctx context.Context, key string, by int64, ttl time.Duration) (int64, error)
	// Delete removes key and reports whether it was there (and not expired).
	Delete(ctx context.Context, key string) (bool, error)
	// Close releases what the store holds (a database pool).
	Close() error
}

// Errors of the stores, matched with errors.Is.
var (
	// ErrNotInteger: incr on a key whose value is not an integer.
	ErrNotInteger = errors.New("the value is not an integer")
	// ErrFull: the in-process store holds its maximum of live entries.
	ErrFull = errors.New("the store is full")
	// ErrBusy: the hash backend could not take a key's lock in time.
	ErrBusy = errors.New("the key stayed locked by another writer")
)

// CheckKey refuses a key the backends cannot all store as it is: empty,
// longer than MaxKeyBytes, or with a byte other than an ASCII letter, a
// digit, or one of _ - . : @ + = #.
func CheckKey(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	if len(key) > MaxKeyBytes {
		return fmt.Errorf("key of %d bytes (at most %d)", len(key), MaxKeyBytes)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_' || c == '-' || c == '.' || c == ':' || c == '@' || c == '+' || c == '=' || c == '#':
		default:
			return fmt.Errorf("key %q: byte %q not allowed (letters, digits and _ - . : @ + = # only)", key, c)
		}
	}
	return nil
}

// parseInt reads a counter's value.
func parseInt(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, ErrNotInteger
	}
	return n, nil
}

// addInt adds by to n, refusing an overflow.
func addInt(n, by int64) (int64, error) {
	s := n + by
	if (by > 0 && s < n) || (by < 0 && s > n) {
		return 0, fmt.Errorf("%d + %d overflows a 64-bit integer", n, by)
	}
	return s, nil
}
