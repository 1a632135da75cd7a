package esltest

import "time"

// SocketTiming tells when the outbound socket of a channel reached its
// server and when the server's first commands arrived, for measuring how
// fast a server starts working on a call. A zero time means it has not
// happened (yet).
type SocketTiming struct {
	// Connected is when the switch's TCP connection to the server was
	// established (the server's accept).
	Connected time.Time
	// FirstCommand is when the first command arrived ("connect", sent by
	// every outbound server before anything else).
	FirstCommand time.Time
	// FirstSendMsg is when the first sendmsg arrived: the first call
	// control command (usually "execute answer").
	FirstSendMsg time.Time
}

// SocketTiming returns the timestamps of the channel's outbound socket
// (see PlaceCall and Route); all zero for a channel that had none.
func (ch *Channel) SocketTiming() SocketTiming {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.timing
}

// markTiming sets one timestamp of the channel's socket the first time.
func (ch *Channel) markTiming(field func(*SocketTiming) *time.Time) {
	now := time.Now()
	ch.mu.Lock()
	if p := field(&ch.timing); p.IsZero() {
		*p = now
	}
	ch.mu.Unlock()
}
