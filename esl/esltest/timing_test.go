package esltest

import (
	"context"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// TestSocketTiming: each stamp is taken at its own phase, told apart by
// order alone (no pauses, no bounds on how long a phase takes): the server
// sends connect only once Connected is stamped, and sendmsg only after the
// connect reply, noting the time in between; each such time must fall
// between the stamps of the phases around it.
func TestSocketTiming(t *testing.T) {
	sw := NewSwitch(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	marks := make(chan [2]time.Time, 1)
	addr := outboundServer(t, func(c *client) {
		for connected(sw).IsZero() {
			if ctx.Err() != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
		beforeConnect := time.Now()
		c.cmd("connect")
		beforeSendMsg := time.Now()
		execute(c, "hangup", "", "b2c1b9b0-1111-4c3a-9a3c-6a3f6f0e2a11")
		marks <- [2]time.Time{beforeConnect, beforeSendMsg}
	})
	ch, err := sw.PlaceCall(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.WaitHangup(ctx); err != nil {
		t.Fatal(err)
	}
	var m [2]time.Time
	select {
	case m = <-marks:
	case <-ctx.Done():
		t.Fatal("the server never sent its commands")
	}
	st := ch.SocketTiming()
	if st.Connected.IsZero() || st.FirstCommand.IsZero() || st.FirstSendMsg.IsZero() {
		t.Fatalf("missing timestamps: %+v", st)
	}
	if m[0].Before(st.Connected) || m[0].After(st.FirstCommand) {
		t.Errorf("connect sent at %v: want it after Connected (%v) and before FirstCommand (%v)", m[0], st.Connected, st.FirstCommand)
	}
	if m[1].Before(st.FirstCommand) || m[1].After(st.FirstSendMsg) {
		t.Errorf("sendmsg sent at %v: want it after FirstCommand (%v, the connect) and before FirstSendMsg (%v)", m[1], st.FirstCommand, st.FirstSendMsg)
	}
}

// connected is the Connected stamp of the switch's one channel, zero
// before there is one.
func connected(sw *Switch) time.Time {
	for _, ch := range sw.Channels() {
		return ch.SocketTiming().Connected
	}
	return time.Time{}
}

func TestSocketTimingZeroWithoutSocket(t *testing.T) {
	sw := NewSwitch(t)
	c, err := esl.Dial(context.Background(), sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.API(context.Background(), "originate loopback/park &park()"); err != nil {
		t.Fatal(err)
	}
	chans := sw.Channels()
	if len(chans) == 0 {
		t.Fatal("originate made no channel")
	}
	for _, ch := range chans {
		if st := ch.SocketTiming(); st != (SocketTiming{}) {
			t.Errorf("%s: timing %+v without a socket", ch.Name(), st)
		}
	}
}
