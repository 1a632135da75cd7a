package esltest

import (
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// ConnInfo describes one Event Socket connection, for choosing which
// connections a fault applies to.
type ConnInfo struct {
	// Outbound is true for a connection the switch made to an outbound
	// socket server, false for one a client made to the switch.
	Outbound bool
	// UUID is the channel an outbound connection controls ("" inbound).
	UUID string
	// Remote is the peer's address.
	Remote string
}

// ConnMatch selects connections; nil matches every connection.
type ConnMatch func(ConnInfo) bool

// Inbound matches connections made by clients to the switch.
func Inbound(ci ConnInfo) bool { return !ci.Outbound }

// Outbound matches connections the switch made to outbound socket servers.
func Outbound(ci ConnInfo) bool { return ci.Outbound }

// faultState holds the faults in force; guarded by Switch.mu.
type faultState struct {
	delay      time.Duration
	refuseAuth bool
	reject     bool
	stall      bool
	corrupt    []ConnMatch
	failAPI    []apiFault
}

// apiFault is one FailNextAPI.
type apiFault struct{ prefix, reply string }

func (c *conn) info() ConnInfo {
	ci := ConnInfo{Outbound: c.outbound, Remote: c.nc.RemoteAddr().String()}
	c.mu.Lock()
	if c.ch != nil {
		ci.UUID = c.ch.uuid
	}
	c.mu.Unlock()
	return ci
}

// Drop closes every connection that match selects (all when nil) at once,
// without a disconnect notice, as a crashed switch or a cut network would.
// Channels stay up (a dropped outbound socket hangs its channel up as
// FreeSWITCH does). It returns how many connections were dropped.
func (sw *Switch) Drop(match ConnMatch) int {
	sw.mu.Lock()
	var hit []*conn
	for c := range sw.conns {
		hit = append(hit, c)
	}
	sw.mu.Unlock()
	// In two phases, as when a switch's sockets all go at once: every
	// matched connection first stops acting on commands, then each socket
	// is closed. A client that reacts to the first loss (a script failing,
	// its on-error sent on another connection) gets nothing through one
	// not yet closed.
	var drop []*conn
	for _, c := range hit {
		if match == nil || match(c.info()) {
			c.log.Info("fault: dropping connection")
			c.closeOnce.Do(func() { close(c.done) })
			drop = append(drop, c)
		}
	}
	for _, c := range drop {
		c.nc.Close()
	}
	return len(drop)
}

// DelayReplies makes every command/reply and api/response wait d (real
// time) before it is sent; 0 removes the delay. Events are not delayed.
func (sw *Switch) DelayReplies(d time.Duration) {
	sw.mu.Lock()
	sw.faults.delay = d
	sw.mu.Unlock()
}

// CorruptNextFrame replaces the next frame sent on the first connection
// that match selects (any when nil) with garbage bytes that are not a
// valid frame; the frame it replaces is lost.
func (sw *Switch) CorruptNextFrame(match ConnMatch) {
	sw.mu.Lock()
	if match == nil {
		match = func(ConnInfo) bool { return true }
	}
	sw.faults.corrupt = append(sw.faults.corrupt, match)
	sw.mu.Unlock()
}

// RefuseAuth makes "auth" and "userauth" fail with "-ERR invalid" whatever
// the password, while on is true.
func (sw *Switch) RefuseAuth(on bool) {
	sw.mu.Lock()
	sw.faults.refuseAuth = on
	sw.mu.Unlock()
}

// RejectConnections makes the switch answer new inbound connections with
// text/rude-rejection and close them, as its ACL does, while on is true.
func (sw *Switch) RejectConnections(on bool) {
	sw.mu.Lock()
	sw.faults.reject = on
	sw.mu.Unlock()
}

// Stall makes every connection stop handling commands while on is true:
// commands are read but neither executed nor answered until Stall(false).
// Events keep flowing.
func (sw *Switch) Stall(on bool) {
	sw.mu.Lock()
	sw.faults.stall = on
	sw.mu.Unlock()
}

func (sw *Switch) replyDelay() time.Duration {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.faults.delay
}

func (sw *Switch) authRefused() bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.faults.refuseAuth
}

func (sw *Switch) rejecting() bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.faults.reject
}

func (sw *Switch) stalled() bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.faults.stall
}

// takeCorrupt reports whether the frame about to be written on c is to be
// corrupted, consuming that fault.
func (sw *Switch) takeCorrupt(c *conn) bool {
	sw.mu.Lock()
	n := len(sw.faults.corrupt)
	sw.mu.Unlock()
	if n == 0 {
		return false
	}
	ci := c.info()
	sw.mu.Lock()
	defer sw.mu.Unlock()
	for i, m := range sw.faults.corrupt {
		if m(ci) {
			sw.faults.corrupt = append(sw.faults.corrupt[:i:i], sw.faults.corrupt[i+1:]...)
			return true
		}
	}
	return false
}

// FailNextAPI makes the next api command whose line starts with prefix
// (sent with api or bgapi, or called by a ${...} expansion) answer reply
// ("-ERR ..." as the switch would) without running: a command lost or
// refused at one precise point of a flow.
func (sw *Switch) FailNextAPI(prefix, reply string) {
	sw.mu.Lock()
	sw.faults.failAPI = append(sw.faults.failAPI, apiFault{prefix, reply})
	sw.mu.Unlock()
}

// takeAPIFault returns the reply FailNextAPI set for line, consuming it.
func (sw *Switch) takeAPIFault(line string) (string, bool) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	for i, f := range sw.faults.failAPI {
		if strings.HasPrefix(line, f.prefix) {
			sw.faults.failAPI = append(sw.faults.failAPI[:i:i], sw.faults.failAPI[i+1:]...)
			return f.reply, true
		}
	}
	return "", false
}

// stallWait blocks while the switch is stalled; false means the connection
// closed meanwhile.
func (c *conn) stallWait() bool {
	for c.sw.stalled() {
		select {
		case <-c.done:
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
	return true
}

// rudeReject answers a connection the way the switch's ACL does.
func (c *conn) rudeReject() {
	const body = "Access Denied, go away.\n"
	c.write(esl.AppendFrame(nil, esl.Headers{
		{Name: "Content-Type", Value: esl.TypeRudeRejection},
		{Name: "Content-Length", Value: "24"},
	}, []byte(body)))
	c.disconnectNotice("")
}
