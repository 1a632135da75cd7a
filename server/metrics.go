package server

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/loader"
)

// metrics are the server's Prometheus metrics, on a registry of its own.
type metrics struct {
	reg          *prometheus.Registry
	active       atomic.Int64
	jobs         atomic.Int64
	calls        *prometheus.CounterVec
	callSeconds  prometheus.Histogram
	scriptErrors *prometheus.CounterVec
	onError      *prometheus.CounterVec
	xmlFetch     *prometheus.HistogramVec
	reloads      *prometheus.CounterVec
	orphans      *prometheus.CounterVec
	eventHooks   *prometheus.CounterVec
	parkClaims   *prometheus.CounterVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fsstar_calls_total",
		Help: "Calls served (socket and park mode), by outcome (ok, error, hangup)."}, []string{"outcome"})
	m.callSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "fsstar_call_duration_seconds",
		Help: "How long fsstar controlled a call.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 10)})
	m.scriptErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fsstar_script_errors_total",
		Help: "Failed script runs seen by the gateway and call handling, by entry point."}, []string{"entry"})
	m.onError = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fsstar_on_error_total",
		Help: "Calls sent to the on-error policy, by action."}, []string{"action"})
	m.xmlFetch = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "fsstar_xml_fetch_duration_seconds",
		Help: "Latency of xml_fetch, by section.", Buckets: prometheus.ExponentialBuckets(0.001, 3, 9)}, []string{"section"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fsstar_module_reload_events_total",
		Help: "Module reload outcomes (reloaded, unchanged, failed, removed)."}, []string{"kind"})
	m.orphans = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fsstar_orphans_total",
		Help: "Orphaned calls found at start and sent to the on-error policy."}, []string{"action"})
	m.eventHooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fsstar_event_hooks_total",
		Help: "Event hook runs, by module and outcome (ok, error, dropped: all event-hook-concurrency slots busy)."}, []string{"module", "outcome"})
	m.parkClaims = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fsstar_park_claims_total",
		Help: "Park mode claims, by outcome: won (this instance runs the call), lost (another instance has it), late (claimed after park-claim-timeout: on-error), takeover (a dead instance's call: on-error), failed (the claim could not be asked)."}, []string{"outcome"})
	for _, o := range []string{"won", "lost", "late", "takeover", "failed"} {
		m.parkClaims.WithLabelValues(o)
	}
	for _, o := range []string{"ok", "error", "hangup"} {
		m.calls.WithLabelValues(o)
	}
	m.reg.MustRegister(m.calls, m.callSeconds, m.scriptErrors, m.onError, m.xmlFetch, m.reloads, m.orphans, m.eventHooks, m.parkClaims,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fsstar_active_calls", Help: "Calls being served now."},
			func() float64 { return float64(m.active.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fsstar_runtime_jobs", Help: "Runtime jobs running now."},
			func() float64 { return float64(m.jobs.Load()) }),
		&statsCollector{s: s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) call(outcome string, d time.Duration) {
	m.calls.WithLabelValues(outcome).Inc()
	m.callSeconds.Observe(d.Seconds())
}

func (m *metrics) reload(ev loader.Event) { m.reloads.WithLabelValues(ev.Kind.String()).Inc() }

// statsCollector exports the counters of the engine, the loader and the
// inbound ESL client at scrape time.
type statsCollector struct{ s *Server }

var (
	descEntryCalls     = prometheus.NewDesc("fsstar_entry_calls_total", "Entry-point runs, by entry.", []string{"entry"}, nil)
	descEntryErrors    = prometheus.NewDesc("fsstar_entry_errors_total", "Failed entry-point runs, by entry.", []string{"entry"}, nil)
	descEntryCancelled = prometheus.NewDesc("fsstar_entry_cancelled_total", "Entry-point runs stopped by hangup, timeout or shutdown.", []string{"entry"}, nil)
	descEntrySteps     = prometheus.NewDesc("fsstar_entry_step_limited_total", "Entry-point runs stopped by the step limit.", []string{"entry"}, nil)
	descEntryMemory    = prometheus.NewDesc("fsstar_entry_memory_limited_total", "Entry-point runs stopped by the memory budget.", []string{"entry"}, nil)
	descScriptMemory   = prometheus.NewDesc("fsstar_script_memory_bytes", "Memory the running scripts hold, as last measured (estimate).", nil, nil)
	descInFlight       = prometheus.NewDesc("fsstar_script_runs_in_flight", "Starlark runs in progress.", nil, nil)
	descRunSeconds     = prometheus.NewDesc("fsstar_script_run_duration_seconds", "Duration of Starlark runs.", nil, nil)
	descModules        = prometheus.NewDesc("fsstar_modules_loaded", "Modules loaded.", nil, nil)
	descLoads          = prometheus.NewDesc("fsstar_module_loads_total", "Module versions built.", nil, nil)
	descReloads        = prometheus.NewDesc("fsstar_module_reloads_total", "Modules rebuilt after a file change.", nil, nil)
	descLoadFailures   = prometheus.NewDesc("fsstar_module_load_failures_total", "Failed module builds.", nil, nil)
	descESLUp          = prometheus.NewDesc("fsstar_esl_connected", "1 when the inbound ESL connection is up.", nil, nil)
	descESLReconnects  = prometheus.NewDesc("fsstar_esl_reconnects_total", "Inbound ESL reconnects.", nil, nil)
	descESLQueue       = prometheus.NewDesc("fsstar_esl_event_queue_depth", "Events queued on inbound ESL subscriptions.", nil, nil)
	descESLOverflows   = prometheus.NewDesc("fsstar_esl_overflows_total", "Inbound ESL subscriptions closed by overflow.", nil, nil)
	descESLPending     = prometheus.NewDesc("fsstar_esl_pending_commands", "Inbound ESL commands waiting for a reply.", nil, nil)
	descParkUp         = prometheus.NewDesc("fsstar_park_connection_up", "1 when the park connection is up (park mode).", []string{"switch", "connection"}, nil)
	descParkCalls      = prometheus.NewDesc("fsstar_park_connection_calls", "Parked calls the connection drives now.", []string{"switch", "connection"}, nil)
	descParkQueue      = prometheus.NewDesc("fsstar_park_event_queue_depth", "Events queued for the connection's calls and dispatch.", []string{"switch", "connection"}, nil)
	descParkPending    = prometheus.NewDesc("fsstar_park_pending_commands", "Commands on the park connection waiting for a reply.", []string{"switch", "connection"}, nil)
)

func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEntryCalls, descEntryErrors, descEntryCancelled, descEntrySteps, descEntryMemory, descScriptMemory,
		descInFlight, descRunSeconds, descModules, descLoads, descReloads, descLoadFailures,
		descESLUp, descESLReconnects, descESLQueue, descESLOverflows, descESLPending,
		descParkUp, descParkCalls, descParkQueue, descParkPending} {
		ch <- d
	}
}

func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.eng.Stats()
	for k := engine.EntryHandler; k <= engine.EntryCall; k++ {
		e := st.Entries[k]
		name := k.String()
		ch <- prometheus.MustNewConstMetric(descEntryCalls, prometheus.CounterValue, float64(e.Calls), name)
		ch <- prometheus.MustNewConstMetric(descEntryErrors, prometheus.CounterValue, float64(e.Errors), name)
		ch <- prometheus.MustNewConstMetric(descEntryCancelled, prometheus.CounterValue, float64(e.Cancelled), name)
		ch <- prometheus.MustNewConstMetric(descEntrySteps, prometheus.CounterValue, float64(e.StepLimited), name)
		ch <- prometheus.MustNewConstMetric(descEntryMemory, prometheus.CounterValue, float64(e.MemoryLimited), name)
	}
	ch <- prometheus.MustNewConstMetric(descInFlight, prometheus.GaugeValue, float64(st.InFlight))
	ch <- prometheus.MustNewConstMetric(descScriptMemory, prometheus.GaugeValue, float64(c.s.memory.Used()))
	buckets := map[float64]uint64{}
	for i, b := range engine.DurationBuckets() {
		buckets[b.Seconds()] = st.DurationBuckets[i]
	}
	ch <- prometheus.MustNewConstHistogram(descRunSeconds, st.DurationCount, st.DurationSum.Seconds(), buckets)
	ch <- prometheus.MustNewConstMetric(descModules, prometheus.GaugeValue, float64(st.Loader.Modules))
	ch <- prometheus.MustNewConstMetric(descLoads, prometheus.CounterValue, float64(st.Loader.Loads))
	ch <- prometheus.MustNewConstMetric(descReloads, prometheus.CounterValue, float64(st.Loader.Reloads))
	ch <- prometheus.MustNewConstMetric(descLoadFailures, prometheus.CounterValue, float64(st.Loader.Failures))
	var es struct {
		up                    float64
		reconnects, overflows uint64
		queue, pending        int
	}
	if cl := c.s.client.Load(); cl != nil {
		x := cl.Stats()
		if x.Connected {
			es.up = 1
		}
		es.reconnects, es.overflows, es.queue, es.pending = x.Reconnects, x.Overflows, x.QueueDepth, x.Pending
	}
	ch <- prometheus.MustNewConstMetric(descESLUp, prometheus.GaugeValue, es.up)
	ch <- prometheus.MustNewConstMetric(descESLReconnects, prometheus.CounterValue, float64(es.reconnects))
	ch <- prometheus.MustNewConstMetric(descESLQueue, prometheus.GaugeValue, float64(es.queue))
	ch <- prometheus.MustNewConstMetric(descESLOverflows, prometheus.CounterValue, float64(es.overflows))
	ch <- prometheus.MustNewConstMetric(descESLPending, prometheus.GaugeValue, float64(es.pending))
	for _, l := range c.s.links {
		pm := l.park
		if pm == nil || !pm.started.Load() {
			continue
		}
		for _, pc := range pm.conns {
			x, k := pc.c.Stats(), strconv.Itoa(pc.idx)
			up := 0.0
			if x.Connected {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(descParkUp, prometheus.GaugeValue, up, l.addr, k)
			ch <- prometheus.MustNewConstMetric(descParkCalls, prometheus.GaugeValue, float64(pc.calls.Load()), l.addr, k)
			ch <- prometheus.MustNewConstMetric(descParkQueue, prometheus.GaugeValue, float64(x.QueueDepth), l.addr, k)
			ch <- prometheus.MustNewConstMetric(descParkPending, prometheus.GaugeValue, float64(x.Pending), l.addr, k)
		}
	}
}
