// Package state is the `state` module of fsstar scripts: a key-value store
// shared by every call, with expiry and atomic counters, for rate limits and
// "this caller called 3 times today". The backend is chosen in the
// configuration (state-backend); the Starlark API is the same for all:
//
//	def get(key, default=None):
//	    """The value stored under key, or default when it is absent or
//	    expired."""
//
//	def set(key, value, ttl=None):
//	    """Stores value (anything json.encode accepts: None, bool, int,
//	    float, string, list, dict) under key, replacing the value and its
//	    expiry. ttl: seconds (int or float > 0) until it expires; None,
//	    never."""
//
//	def set_if_absent(key, value, ttl=None):
//	    """As set, only when key is absent or expired. Returns True when it
//	    stored the value."""
//
//	def incr(key, by=1, ttl=None):
//	    """Adds by (an int, may be negative) to the integer under key,
//	    atomically, and returns the new value. An absent or expired key
//	    starts at 0 and gets ttl; an existing one keeps its expiry (a fixed
//	    window: the first hit starts it). Fails when the value is not an
//	    integer."""
//
//	def delete(key):
//	    """Removes key. Returns True when it was there and not expired."""
//
// Keys are 1 to 200 bytes of ASCII letters, digits and _ - . : @ + = #.
// Values are stored as their JSON text (at most 16 KiB); get returns
// json.decode of it, so a tuple comes back as a list.
//
// Backends: Memory (in process, bounded, lost on restart, not shared
// between instances), Hash (the switch's mod_hash over inbound ESL, shared by
// the instances serving that switch) and Postgres (a table, shared by every
// instance using the database). See each type for its guarantees.
package state
