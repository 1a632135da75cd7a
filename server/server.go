package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/loader"
	"github.com/fsstar/fsstar/membudget"
	"github.com/fsstar/fsstar/sqlpool"
)

// Server is the `fsstar serve` service: the outbound ESL listener that runs
// handler(session, args) for each call, the HTTP gateway (fsapi, xml_fetch,
// runtime jobs, metrics), the shared inbound ESL connection and the startup
// scripts. Start binds and serves; Shutdown drains; Run does both around a
// context.
type Server struct {
	live     atomic.Pointer[liveConfig]
	cfg      Config // the config New was given; fields that need a restart
	log      hclog.Logger
	instance string // marks the channels this process controls (orphan scan)
	// noOrphanScan skips the orphan scan (WithoutOrphanScan).
	noOrphanScan bool

	ld  *loader.Loader
	eng *engine.Engine
	// memory is the scripts' memory account (max-call-memory-bytes,
	// max-script-memory-bytes), shared by calls and module loads.
	memory *membudget.Pool
	db     *sqlpool.Pool
	opts   builtins.Options

	client atomic.Pointer[esl.Client] // the first switch's; set by Start; connects in the background
	park   *parkMode                  // the first switch's park mode; nil unless cfg.Park
	links  []*switchLink              // every switch served, the first one first

	outbound *esl.Server
	httpSrv  *http.Server
	outL     net.Listener
	httpL    net.Listener

	metrics *metrics
	jobs    *jobs

	// extra holds predeclared names added by tests (withPredeclared).
	extra starlark.StringDict

	// base is cancelled by Shutdown once draining is over; background work
	// (dialing, startup scripts, jobs) runs under it.
	base       context.Context
	cancelBase context.CancelCauseFunc
	draining   atomic.Bool
	started    atomic.Bool
	wg         sync.WaitGroup
	serveErr   chan error
	closeOnce  sync.Once
}

// liveConfig holds what SIGHUP may change while serving.
type liveConfig struct {
	cfg     Config
	onError OnError
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger (default: NewLogger(cfg) on stderr).
func WithLogger(l hclog.Logger) Option { return func(s *Server) { s.log = l } }

// WithoutOrphanScan skips the scan for calls an earlier fsstar left behind.
// One-shot tools (fsstar run, api, eval) use it: they are not the service
// that controlled those calls, and must not apply on-error to the calls of
// an fsstar still serving the same switch.
func WithoutOrphanScan() Option { return func(s *Server) { s.noOrphanScan = true } }

// ErrShutdown is the cause of contexts cancelled because the service stops.
var ErrShutdown = errors.New("fsstar is shutting down")

// New assembles a Server from cfg: the loader over cfg.ScriptDirs, the
// engine, the builtins, the database pool, the outbound ESL server and the
// HTTP gateway. It binds nothing and dials nothing: Start does.
func New(cfg Config, opts ...Option) (*Server, error) {
	oe, err := ParseOnError(cfg.OnError)
	if err != nil {
		return nil, err
	}
	if len(cfg.ScriptDirs) == 0 {
		return nil, errors.New("server: no script-directory")
	}
	s := &Server{cfg: cfg, instance: newInstanceID(), serveErr: make(chan error, 2)}
	for _, o := range opts {
		o(s)
	}
	if s.log == nil {
		s.log = NewLogger(cfg, nil)
	}
	s.live.Store(&liveConfig{cfg: cfg, onError: oe})
	s.memory = membudget.NewPool(cfg.MaxCallMemoryBytes, cfg.MaxScriptMemoryBytes)
	s.base, s.cancelBase = context.WithCancelCause(context.Background())

	s.metrics = newMetrics(s) // before the builtins: scripts' metrics are registered on it
	s.db = sqlpool.New()
	s.opts = builtins.Options{Roots: cfg.ScriptDirs, DB: s.db, Logger: s.log.Named("script"), MaxStreamBytes: int(cfg.MaxBodyBytes)}
	if err := s.configureBatteries(&s.opts); err != nil {
		return nil, err
	}
	if err := s.configureStateEmail(&s.opts, cfg); err != nil {
		return nil, err
	}

	watch := loader.WatchAuto
	switch cfg.Reload {
	case "poll":
		watch = loader.WatchPoll
	case "off":
		watch = loader.WatchOff
	}
	lopts := []loader.Option{
		loader.WithLogger(s.log.Named("loader")),
		loader.WithPredeclared(s.predeclared()),
		loader.WithRecursion(cfg.Recursion),
		loader.WithMaxSteps(cfg.MaxSteps),
		loader.WithMemoryBudget(s.memory),
		loader.WithWatch(watch),
	}
	if cfg.PollInterval > 0 {
		lopts = append(lopts, loader.WithPollInterval(cfg.PollInterval))
	}
	s.ld, err = loader.New(cfg.ScriptDirs, lopts...)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.eng = engine.New(s.ld,
		engine.WithLogger(s.log.Named("engine")),
		engine.WithMaxSteps(cfg.MaxSteps),
		engine.WithMemoryBudget(s.memory),
		engine.WithThreadSetup(s.setupThread))
	s.jobs = newJobs()
	s.ld.Subscribe(func(ev loader.Event) { s.metrics.reload(ev) })

	s.outbound = &esl.Server{
		Addr:    cfg.Listen,
		Handler: esl.HandlerFunc(s.ServeESL),
		Logger:  s.log.Named("outbound"),
		// The events the Session reads, subscribed in the connect round
		// trip rather than one more round trip on the script's first call.
		Events: builtins.OutboundEvents(),
	}
	for i, addr := range cfg.Switches() {
		l := &switchLink{idx: i, addr: addr}
		if cfg.Park {
			l.park = newParkMode(s, l)
		}
		s.links = append(s.links, l)
	}
	if len(s.links) > 0 {
		s.park = s.links[0].park
	}
	s.httpSrv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          s.log.Named("http").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	return s, nil
}

// withPredeclared adds names to every module's predeclared set; for tests
// that need a builtin the service does not have (one that panics).
func withPredeclared(d starlark.StringDict) Option { return func(s *Server) { s.extra = d } }

// predeclared is the builtins' predeclared set plus any test additions.
func (s *Server) predeclared() starlark.StringDict {
	d := builtins.Predeclared(s.opts)
	if len(s.extra) == 0 {
		return d
	}
	out := make(starlark.StringDict, len(d)+len(s.extra))
	for k, v := range d {
		out[k] = v
	}
	for k, v := range s.extra {
		out[k] = v
	}
	return out
}

// callLocal is the thread-local key under which the server hands a prepared
// *builtins.Call to setupThread.
const callLocal = "fsstar.server.call"

// setupThread attaches the run's builtins.Call: the one the server prepared
// (CallInfo.Locals), or a fresh one from the engine's per-call state with
// the shared inbound connection (a run of the engine's own, as fsstar
// test's test functions).
func (s *Server) setupThread(thread *starlark.Thread, info engine.CallInfo) {
	c, _ := thread.Local(callLocal).(*builtins.Call)
	if c == nil {
		c = &builtins.Call{Context: engine.Context(thread), UUID: info.UUID}
		s.configureCall(c)
	}
	if c.Logger == nil {
		c.Logger = newLazyLogger(thread)
	}
	builtins.SetCall(thread, c)
}

// newRun prepares the builtins.Call of one run and the CallInfo that
// carries it.
func (s *Server) newRun(ctx context.Context, id, module string) (*builtins.Call, engine.CallInfo) {
	c := &builtins.Call{Context: ctx, UUID: id}
	s.configureCall(c)
	return c, engine.CallInfo{UUID: id, Module: module, Locals: map[string]any{callLocal: c}}
}

// configureCall gives a call the shared inbound connection, for what its
// own connection cannot do (API() without one, EventConsumer, Session(dest)).
func (s *Server) configureCall(c *builtins.Call) {
	if c.Client == nil {
		c.Client = s.client.Load()
	}
}

// Config returns the configuration in force (after any Reconfigure).
func (s *Server) Config() Config { return s.live.Load().cfg }

// Engine returns the server's engine (for `fsstar run`/`api` in-process use).
func (s *Server) Engine() *engine.Engine { return s.eng }

// Addr returns the address of the outbound ESL listener once Start returned.
func (s *Server) Addr() string {
	if s.outL == nil {
		return ""
	}
	return s.outL.Addr().String()
}

// HTTPAddr returns the address of the HTTP gateway once Start returned ("" when disabled).
func (s *Server) HTTPAddr() string {
	if s.httpL == nil {
		return ""
	}
	return s.httpL.Addr().String()
}

// Start binds the listeners, starts serving calls and HTTP, dials the
// switch's inbound ESL in the background (a failure is logged and retried),
// scans for orphaned calls once connected, and starts the startup scripts.
// It returns once the listeners are bound.
func (s *Server) Start() error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("server: already started")
	}
	cfg := s.cfg
	var err error
	s.outL, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		s.closeAll()
		return fmt.Errorf("server: outbound listener: %w", err)
	}
	warnExposed(s.log, "listen", cfg.Listen, true)
	if cfg.HTTPListen != "" {
		s.httpL, err = net.Listen("tcp", cfg.HTTPListen)
		if err != nil {
			s.outL.Close()
			s.closeAll()
			return fmt.Errorf("server: http listener: %w", err)
		}
		warnExposed(s.log, "http-listen", cfg.HTTPListen, cfg.HTTPToken != "")
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.outbound.Serve(s.outL); err != nil && !errors.Is(err, esl.ErrServerClosed) {
			s.log.Error("outbound listener stopped", "error", err)
			s.serveErr <- err
		}
	}()
	if s.httpL != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.httpSrv.Serve(rawSpaceListener{s.httpL}); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("http gateway stopped", "error", err)
				s.serveErr <- err
			}
		}()
	}
	s.startClient()
	for _, spec := range cfg.StartupScripts {
		module, args := splitAppValue(spec)
		if _, err := s.StartJob(module, args); err != nil {
			s.log.Error("startup script not started", "script", spec, "error", err)
		}
	}
	s.log.Info("fsstar serving", LifecycleKey, "serving", "listen", s.Addr(), "http", s.HTTPAddr(), "esl", cfg.ESLAddress,
		"scripts", cfg.ScriptDirs, "reload", s.ld.WatchMode().String())
	return nil
}

// Run starts the server and serves until ctx ends, then drains for up to
// the configured drain-timeout (see Shutdown). It returns nil after a clean
// drain.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-s.serveErr:
	}
	dctx, cancel := context.WithTimeout(context.Background(), s.Config().DrainTimeout)
	defer cancel()
	return errors.Join(serveErr, s.Shutdown(dctx))
}

// Shutdown drains like net/http.Server.Shutdown: it stops accepting calls
// and HTTP requests, cancels runtime jobs, lets calls in flight finish until
// ctx ends, then cancels the rest (their scripts stop and the calls get the
// on-error policy), closes the inbound connection, the loader and the
// database pool. It returns ctx's error when calls had to be cancelled.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.log.Info("draining", LifecycleKey, "draining", "calls", s.metrics.active.Load())
	s.jobs.cancelAll()
	var errs []error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := s.outbound.Shutdown(ctx); err != nil && !errors.Is(err, esl.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("calls: %w", err))
		}
	}()
	var herr, perr error
	go func() {
		defer wg.Done()
		if s.httpL != nil {
			if err := s.httpSrv.Shutdown(ctx); err != nil {
				herr = fmt.Errorf("http: %w", err)
				s.httpSrv.Close()
			}
		}
	}()
	var pmu sync.Mutex
	for _, l := range s.links {
		if l.park == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.park.drain(ctx); err != nil {
				pmu.Lock()
				perr = fmt.Errorf("parked calls: %w", err)
				pmu.Unlock()
			}
		}()
	}
	wg.Wait()
	if perr != nil {
		errs = append(errs, perr)
	}
	if herr != nil {
		errs = append(errs, herr)
	}
	s.cancelBase(ErrShutdown)
	s.jobs.wait()
	s.wg.Wait()
	s.closeAll()
	s.log.Info("stopped", LifecycleKey, "stopped")
	return errors.Join(errs...)
}

// closeAll releases what New and the dial loop acquired.
func (s *Server) closeAll() {
	s.closeOnce.Do(func() {
		s.cancelBase(ErrShutdown)
		s.client.Store(nil)
		for _, l := range s.links {
			if c := l.client(); c != nil {
				c.Close()
			}
			if l.park != nil {
				l.park.close()
			}
		}
		s.ld.Close()
		s.db.Close()
		s.opts.HTTP.Close()
		if s.opts.State != nil {
			s.opts.State.Close()
		}
	})
}

// Client returns the shared inbound ESL connection (nil before Start). It
// may not be connected yet: its commands then fail with esl.ErrConnLost.
func (s *Server) Client() *esl.Client { return s.client.Load() }

// startClient makes the shared inbound ESL client of each switch. Each
// connects in the background and reconnects on its own (esl.NewClient), so
// the service starts while a switch is down; its first connection starts
// the event hooks, the heartbeat, the orphan scan and park mode there.
func (s *Server) startClient() {
	for _, l := range s.links {
		s.startLink(l)
	}
	if len(s.links) > 0 {
		s.client.Store(s.links[0].client())
	}
}

func (s *Server) startLink(l *switchLink) {
	cfg := s.cfg
	connected := make(chan struct{})
	reconnected := make(chan struct{}, 1)
	var once sync.Once
	log := s.log.Named("inbound")
	if len(s.links) > 1 {
		log = log.With("switch", l.addr)
	}
	c := esl.NewClient(l.addr,
		esl.WithPassword(cfg.ESLPassword),
		esl.WithLogger(log),
		esl.WithReconnect(esl.ReconnectPolicy{Initial: 100 * time.Millisecond, Max: 10 * time.Second}),
		esl.WithStateHook(func(st esl.State, err error) {
			switch st {
			case esl.StateDisconnected:
				s.log.Warn("inbound ESL disconnected; reconnecting", "switch", l.addr, "error", redact(err, cfg.ESLPassword))
			case esl.StateConnected:
				s.log.Info("inbound ESL connected", LifecycleKey, "connected", "switch", l.addr)
				once.Do(func() { close(connected) })
				select { // learn its Core-UUID (again: it may be a restarted switch)
				case reconnected <- struct{}{}:
				default:
				}
			}
		}))
	l.conn.Store(c)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			select {
			case <-reconnected:
				l.learnCore(s.base, c)
			case <-s.base.Done():
				return
			}
		}
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-connected:
			if !s.noOrphanScan { // a one-shot tool (fsstar run, api) serves no event hooks
				s.startEventHooks(s.base, c)
			}
			if !s.noOrphanScan {
				beaten := make(chan struct{})
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					s.heartbeat(s.base, c, beaten)
				}()
				s.scanOrphans(s.base, c)
				if l.park != nil {
					select {
					case <-beaten:
						s.startPark(l)
					case <-s.base.Done():
					}
				}
			}
		case <-s.base.Done():
		}
	}()
}

// startPark starts park mode once the shared connection is up and this
// instance's heartbeat is on the switch, then sweeps every heartbeat
// interval until shutdown.
func (s *Server) startPark(l *switchLink) {
	pm, c := l.park, l.client()
	if err := pm.start(s.base); err != nil {
		if s.base.Err() == nil {
			s.log.Error("park mode not started", "error", err)
		}
		return
	}
	every := s.cfg.HeartbeatInterval
	if every <= 0 {
		every = 10 * time.Second
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			pm.sweep(s.base, c)
			select {
			case <-t.C:
			case <-s.base.Done():
				return
			}
		}
	}()
}
