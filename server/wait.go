package server

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WaitConnected waits until the shared inbound ESL connection (Client, to
// the first switch) is up, so that API calls, runtime jobs and HTTP entry
// points reach the switch. It returns nil at once when it already is, and
// an error naming the switch when ctx ends first (wrapping ctx's cause) or
// the server shuts down (wrapping ErrShutdown). A server that already
// served may be reconnecting: WaitConnected then waits for the reconnect.
// Tools and tests wait with it instead of polling Client themselves.
func (s *Server) WaitConnected(ctx context.Context) error {
	if len(s.links) == 0 {
		return errors.New("no switch configured (esl-address)")
	}
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		if c := s.Client(); c != nil && c.Stats().Connected {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("inbound ESL connection to %s not up: %w", s.links[0].addr, context.Cause(ctx))
		case <-s.base.Done():
			return fmt.Errorf("inbound ESL connection to %s: %w", s.links[0].addr, context.Cause(s.base))
		case <-t.C:
		}
	}
}
