package server_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
)

// TestWaitConnected: WaitConnected returns once the inbound connection is
// up, not merely once the client exists; it fails naming the switch when
// its context ends first, and with ErrShutdown when the server stops.
func TestWaitConnected(t *testing.T) {
	// A port where no switch listens yet: the client exists, unconnected.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h := servertest.NewServer(t, nil, servertest.WithConfig(func(c *server.Config) { c.ESLAddress = addr }))
	if h.Server.Client() == nil {
		t.Fatal("no client after Start")
	}
	gone := errors.New("the test gave up")
	ctx, cancel := context.WithTimeoutCause(context.Background(), 200*time.Millisecond, gone)
	err = h.Server.WaitConnected(ctx)
	cancel()
	if !errors.Is(err, gone) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("WaitConnected with no switch = %v, want the context's cause and %s", err, addr)
	}

	// The switch comes up on that address: the client's reconnect finds it.
	sw, err := esltest.New(esltest.WithListenAddr(addr))
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	t.Cleanup(sw.Close)
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.Server.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	if !h.Server.Client().Stats().Connected {
		t.Error("WaitConnected returned before the connection was up")
	}

	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	h.Server.Shutdown(sctx)
	if err := h.Server.WaitConnected(context.Background()); !errors.Is(err, server.ErrShutdown) {
		t.Errorf("WaitConnected after Shutdown = %v, want ErrShutdown", err)
	}
}
