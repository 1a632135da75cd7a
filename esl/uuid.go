package esl

import "github.com/google/uuid"

// newUUID returns a random (version 4) UUID in its canonical text form, for
// the Job-UUID and Event-UUID headers fsstar generates itself (a name of
// its own because execute's parameters call a channel's id uuid).
func newUUID() string { return uuid.NewString() }
