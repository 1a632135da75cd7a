package esl

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"

	"github.com/google/uuid"
)

// newUUID returns a random (version 4) UUID in its canonical text form, for
// the Job-UUID header of a bgapi (an execute's Event-UUID is execID's; a
// name of its own because execute's parameters call a channel's id uuid).
func newUUID() string { return uuid.NewString() }

// execID returns the Event-UUID of an execute sent on this connection: a
// random prefix of the connection and a counter, unique among the
// connection's executes (which is all the switch and the completion's
// routing need: the switch copies it into Application-UUID and the
// channel's app_uuid) and, by the prefix, unlikely to equal another
// client's. It is a third as long as a UUID: mod_event_socket reads a
// command's headers one byte per read, and every later event of the channel
// carries app_uuid.
func (c *core) execID() string {
	return c.execPrefix + "-" + strconv.FormatUint(c.execSeq.Add(1), 36)
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand's Read never fails
	return hex.EncodeToString(b)
}
