package server

import (
	"context"
	"strconv"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// aliveInterval is how often a serving fsstar tells the switch it is alive,
// and aliveTTL how old that word may be before its calls count as orphans.
const (
	aliveInterval = 10 * time.Second
	aliveTTL      = 3 * aliveInterval
)

// aliveVar is the global variable in which instance says it is alive: the
// unix time of its last heartbeat.
func aliveVar(instance string) string { return "fsstar_alive_" + instance }

// heartbeat keeps this instance's alive variable fresh on the switch until
// ctx ends, then removes it. Several fsstar instances may serve one
// switch: the orphan scan of one must not take the calls another is
// serving (while a script runs an app inside the socket, the channel's
// current_application is that app, not "socket").
func (s *Server) heartbeat(ctx context.Context, c *esl.Client) {
	beat := func() {
		bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := c.API(bctx, "global_setvar "+aliveVar(s.instance)+"="+strconv.FormatInt(time.Now().Unix(), 10)); err != nil && ctx.Err() == nil {
			s.log.Debug("heartbeat failed", "error", err)
		}
	}
	beat()
	t := time.NewTicker(aliveInterval)
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
// within aliveTTL.
func instanceAlive(ctx context.Context, c *esl.Client, instance string) bool {
	v, err := c.API(ctx, "global_getvar "+aliveVar(instance))
	if err != nil {
		return false // "-ERR no reply": never set, or removed at its shutdown
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return false
	}
	return time.Since(time.Unix(sec, 0)) < aliveTTL
}
