package esltest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// Switch is a simulated FreeSWITCH. Its inbound Event Socket listens on
// Addr; its channels are reachable through Channel and Channels. All its
// methods are safe for concurrent use.
type Switch struct {
	opts    options
	log     hclog.Logger
	ln      net.Listener
	started time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	seq      atomic.Uint64 // Event-Sequence
	sessions atomic.Uint64 // sessions since startup
	connIDs  atomic.Uint64

	pubMu sync.Mutex // orders events: one publish at a time reaches every connection

	mu       sync.Mutex
	closed   bool
	conns    map[*conn]struct{}
	channels map[string]*Channel
	ended    map[string]*Channel // hung-up channels, for tests to inspect
	endOrder []string            // ended, oldest first; bounded by maxEnded
	globals  *varStore
	// expansions are the api commands variable expansion ran (Expansions).
	expansions []string
	routes     map[string]route
	faults     faultState
	hash       hashStore  // mod_hash's db store
	sched      schedTasks // sched_hangup / sched_transfer tasks
}

// New starts a simulated switch listening on 127.0.0.1:0 (see
// WithListenAddr). Close stops it.
func New(opts ...Option) (*Switch, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = hclog.NewNullLogger()
	}
	if o.coreUUID == "" {
		o.coreUUID = uuid.NewString()
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, fmt.Errorf("esltest: listen on %s: %w", o.addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sw := &Switch{
		opts:     o,
		log:      o.logger.Named("esltest"),
		ln:       ln,
		started:  time.Now(),
		ctx:      ctx,
		cancel:   cancel,
		conns:    map[*conn]struct{}{},
		channels: map[string]*Channel{},
		ended:    map[string]*Channel{},
		globals:  newVarStore(),
		routes:   defaultRoutes(),
	}
	sw.seq.Store(1000)
	sw.initGlobals()
	sw.wg.Add(1)
	go sw.acceptLoop()
	sw.log.Debug("listening", "addr", ln.Addr().String())
	return sw, nil
}

// NewSwitch is New for tests: it fails tb if the switch cannot start and
// closes the switch with tb.Cleanup.
func NewSwitch(tb testing.TB, opts ...Option) *Switch {
	tb.Helper()
	sw, err := New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(sw.Close)
	return sw
}

// Addr returns the host:port of the inbound Event Socket listener.
func (sw *Switch) Addr() string { return sw.ln.Addr().String() }

// Password returns the password "auth" accepts.
func (sw *Switch) Password() string { return sw.opts.password }

// CoreUUID returns the Core-UUID the switch reports in its events.
func (sw *Switch) CoreUUID() string { return sw.opts.coreUUID }

// Close hangs up every channel (cause SYSTEM_SHUTDOWN), closes every
// connection and the listener, and waits for all of the switch's goroutines.
// It is safe to call more than once.
func (sw *Switch) Close() {
	sw.mu.Lock()
	if sw.closed {
		sw.mu.Unlock()
		sw.wg.Wait()
		return
	}
	sw.closed = true
	chans := make([]*Channel, 0, len(sw.channels))
	for _, ch := range sw.channels {
		chans = append(chans, ch)
	}
	sw.mu.Unlock()
	for _, ch := range chans {
		ch.Hangup("SYSTEM_SHUTDOWN")
	}
	sw.cancel()
	sw.ln.Close()
	sw.mu.Lock()
	for c := range sw.conns {
		c.close()
	}
	sw.mu.Unlock()
	sw.wg.Wait()
}

// Channel returns the channel with the given uuid, or nil.
//
// A channel that has hung up stays reachable here (not in Channels), so a
// test can read its final state and executed apps; the switch remembers the
// last maxEnded of them.
func (sw *Switch) Channel(id string) *Channel {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if ch, ok := sw.channels[id]; ok {
		return ch
	}
	return sw.ended[id]
}

// liveChannel returns the channel with the given uuid if it is up.
func (sw *Switch) liveChannel(id string) *Channel {
	sw.mu.Lock()
	ch := sw.channels[id]
	sw.mu.Unlock()
	if ch == nil || ch.isHungup() {
		return nil
	}
	return ch
}

// maxEnded bounds how many hung-up channels the switch remembers.
const maxEnded = 4096

// remember keeps a hung-up channel for Channel; sw.mu is held.
func (sw *Switch) remember(ch *Channel) {
	sw.ended[ch.uuid] = ch
	sw.endOrder = append(sw.endOrder, ch.uuid)
	if len(sw.endOrder) > maxEnded {
		delete(sw.ended, sw.endOrder[0])
		sw.endOrder = sw.endOrder[1:]
	}
}

// Channels returns the live channels, oldest first.
func (sw *Switch) Channels() []*Channel {
	sw.mu.Lock()
	out := make([]*Channel, 0, len(sw.channels))
	for _, ch := range sw.channels {
		out = append(out, ch)
	}
	sw.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].serial < out[j].serial })
	return out
}

// WaitIdle waits until no channel is left or ctx ends.
func (sw *Switch) WaitIdle(ctx context.Context) error {
	for {
		if len(sw.Channels()) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("esltest: %d channels still up: %w", len(sw.Channels()), ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (sw *Switch) acceptLoop() {
	defer sw.wg.Done()
	for {
		nc, err := sw.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				sw.log.Error("accept failed", "error", err)
			}
			return
		}
		c := sw.newConn(nc, false)
		if c == nil {
			nc.Close()
			continue
		}
		sw.wg.Add(1)
		go func() {
			defer sw.wg.Done()
			c.serveInbound()
		}()
	}
}

// scaled converts a simulated duration into real time.
func (sw *Switch) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * sw.opts.scale)
}

// unscaled converts real time into simulated time.
func (sw *Switch) unscaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) / sw.opts.scale)
}

// sleep waits for the simulated duration d; it fails when ctx ends first.
func (sw *Switch) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(sw.scaled(d))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (sw *Switch) initGlobals() {
	for _, kv := range [][2]string{
		{"hostname", sw.opts.hostname},
		{"local_ip_v4", "127.0.0.1"},
		{"local_ip_v6", "::1"},
		{"base_dir", "/usr/local/freeswitch"},
		{"sounds_dir", "/usr/local/freeswitch/sounds"},
		{"recordings_dir", "/usr/local/freeswitch/recordings"},
		{"temp_dir", "/tmp"},
		{"domain", "127.0.0.1"},
		{"domain_name", "127.0.0.1"},
		{"hold_music", "local_stream://moh"},
		{"core_uuid", sw.opts.coreUUID},
	} {
		sw.globals.set(kv[0], kv[1])
	}
}
