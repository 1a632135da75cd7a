package server

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// switchLink is one switch this instance serves: its shared inbound
// connection (API(), EventConsumer, Session(dest) of its calls; heartbeat,
// orphan scan, event hooks) and, in park mode, its park connections.
type switchLink struct {
	idx  int
	addr string
	conn atomic.Pointer[esl.Client] // set by startLink
	park *parkMode

	mu   sync.Mutex
	core string // the switch's Core-UUID, once connected
}

// learnCore asks the switch for its Core-UUID, which the connect reply of
// each of its outbound calls carries: that is how a socket call finds its
// switch among several.
func (l *switchLink) learnCore(ctx context.Context, c *esl.Client) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := c.API(ctx, "global_getvar core_uuid")
	if err != nil {
		return
	}
	l.mu.Lock()
	l.core = strings.TrimSpace(v)
	l.mu.Unlock()
}

// client is the switch's shared inbound connection (nil before Start).
func (l *switchLink) client() *esl.Client { return l.conn.Load() }

func (l *switchLink) coreUUID() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.core
}

// linkOf returns the switch a call belongs to: a parked call's own, a
// socket call's by the Core-UUID of its connect reply; the first switch
// when none matches (a single switch, or one not connected yet).
func (s *Server) linkOf(leg callLeg) *switchLink {
	if len(s.links) == 0 {
		return nil
	}
	switch l := leg.(type) {
	case *parkLeg:
		return l.pm.link
	case socketLeg:
		if core := l.Channel().Get("Core-UUID"); core != "" && len(s.links) > 1 {
			for _, sl := range s.links {
				if sl.coreUUID() == core {
					return sl
				}
			}
		}
	}
	return s.links[0]
}
