package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// aliveVar is the global variable in which instance says it is alive:
// "<unix ms of its last heartbeat>:<ms it stays valid>" (three heartbeat
// intervals, so that one late beat is not a death).
func aliveVar(instance string) string { return "fsstar_alive_" + instance }

// heartbeat keeps this instance's alive variable fresh on the switch until
// ctx ends, then removes it. Several fsstar instances may serve one
// switch: the orphan scan of one must not take the calls another is
// serving (while a script runs an app inside the socket, the channel's
// current_application is that app, not "socket"), and in park mode a
// claim whose owner is no longer alive is taken over (parkSweep).
//
// beaten (if not nil) is closed after the first heartbeat was sent: a
// park-mode instance claims calls only once others can see it alive.
func (s *Server) heartbeat(ctx context.Context, c *esl.Client, beaten chan<- struct{}) {
	every := s.cfg.HeartbeatInterval
	if every <= 0 {
		every = 10 * time.Second
	}
	ttl := strconv.FormatInt((3 * every).Milliseconds(), 10)
	beat := func() {
		bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := c.API(bctx, "global_setvar "+aliveVar(s.instance)+"="+strconv.FormatInt(time.Now().UnixMilli(), 10)+":"+ttl); err != nil && ctx.Err() == nil {
			s.log.Debug("heartbeat failed", "error", err)
		}
	}
	beat()
	if beaten != nil {
		close(beaten)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			beat()
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			c.API(dctx, "global_setvar "+aliveVar(s.instance)+"=")
			cancel()
			return
		}
	}
}

// instanceAlive reports whether another fsstar instance said it was alive
// recently enough (within the validity it gave with its heartbeat).
func instanceAlive(ctx context.Context, c *esl.Client, instance string) bool {
	v, err := c.API(ctx, "global_getvar "+aliveVar(instance))
	if err != nil {
		return false // "-ERR no reply": never set, or removed at its shutdown
	}
	return aliveAt(v, time.Now())
}

// aliveAt reads an alive variable's value at time now.
func aliveAt(v string, now time.Time) bool {
	at, ttl, _ := strings.Cut(strings.TrimSpace(v), ":")
	ms, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return false
	}
	valid, err := strconv.ParseInt(ttl, 10, 64)
	if err != nil || valid <= 0 {
		valid = 30_000
	}
	return now.Sub(time.UnixMilli(ms)) < time.Duration(valid)*time.Millisecond
}

// newInstanceID names this process on the switches it serves: 12 random
// hex digits (48 bits). The name is written into every parked call's slot
// variable, every claim and the heartbeat's variable, and mod_event_socket
// reads a command one byte per read and yield: a name a third as long as a
// UUID costs the switch less on every call. The instances serving one
// switch are few at any time, so two drawing the same name is not a
// concern.
func newInstanceID() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand's Read never fails
	return hex.EncodeToString(b[:])
}
