// Package metrics is the `metrics` module of fsstar scripts: counters and
// histograms a script declares, exported on fsstar's /metrics with the
// declaring module as a label.
//
// The Starlark API:
//
//	def counter(name, help, labels=[]):
//	    declares the counter fsstar_script_<name>_total (the _total suffix is
//	    added unless name has it) and returns it. labels are the names of
//	    the labels each sample gives (besides `module`, which fsstar sets).
//	def histogram(name, help, labels=[], buckets=None):
//	    declares the histogram fsstar_script_<name>; buckets are the upper
//	    bounds, increasing (default .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10).
//
//	counter.inc(**labels)          adds 1
//	counter.add(value, **labels)   adds value (>= 0)
//	histogram.observe(value, **labels)
//	    every label of the declaration must be given, as a str or an int,
//	    and no other.
//
// Declaring is cheap and idempotent: the same declaration from the same or
// another module (at module level, inside a handler on every call, after a
// reload) returns the same metric. A declaration that differs in type,
// labels or buckets from the first one is an error; the help text of the
// first declaration stays until fsstar restarts. The `module` label is the
// module whose code made the declaration (the file's dotted name), whichever
// module's call then counts with it.
//
// Cardinality is bounded: script-metrics-max-names names per server (a
// declaration beyond it is an error) and script-metrics-max-series label
// sets per metric (all modules together). A sample for a new label set
// beyond that is dropped, not raised, so that a metric never ends a call:
// it is counted in fsstar_script_metric_samples_dropped_total{metric,module}
// and logged once per metric.
package metrics

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/fsstar/fsstar/builtins/lib/internal/libutil"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// Prefix starts the name of every script metric.
const Prefix = "fsstar_script_"

// The configuration params of the limits; errors name them.
const (
	ParamMaxNames  = "script-metrics-max-names"
	ParamMaxSeries = "script-metrics-max-series"
)

// Defaults of Limits.
const (
	DefaultMaxNames  = 100
	DefaultMaxSeries = 1000
)

// Limits bound the cardinality of script metrics.
type Limits struct {
	// MaxNames is how many metric names scripts may declare (DefaultMaxNames).
	MaxNames int
	// MaxSeries is how many label sets one metric may have (DefaultMaxSeries).
	MaxSeries int
}

// maxLabels and maxValueLen bound a declaration's labels and a label value.
const (
	maxLabels   = 10
	maxValueLen = 200
)

// Registry holds the metrics scripts declared on one server. It is safe for
// concurrent use; the server makes one over its Prometheus registry and
// hands it to the builtins (builtins.Options.Metrics).
type Registry struct {
	reg     prometheus.Registerer
	limits  Limits
	roots   []string
	dropped *prometheus.CounterVec

	mu       sync.Mutex
	families map[string]*family
}

// NewRegistry returns a Registry whose metrics are registered on reg, with
// roots the script directories (to name the declaring module).
func NewRegistry(reg prometheus.Registerer, limits Limits, roots []string) (*Registry, error) {
	if limits.MaxNames <= 0 {
		limits.MaxNames = DefaultMaxNames
	}
	if limits.MaxSeries <= 0 {
		limits.MaxSeries = DefaultMaxSeries
	}
	r := &Registry{reg: reg, limits: limits, families: map[string]*family{}}
	for _, d := range roots {
		if abs, err := filepath.Abs(d); err == nil {
			r.roots = append(r.roots, abs)
		}
	}
	r.dropped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: Prefix + "metric_samples_dropped_total",
		Help: "Samples of script metrics dropped because the metric had " + ParamMaxSeries + " label sets already.",
	}, []string{"metric", "module"})
	if err := reg.Register(r.dropped); err != nil {
		return nil, fmt.Errorf("script metrics: %w", err)
	}
	return r, nil
}

// Names is the number of metric names declared.
func (r *Registry) Names() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.families)
}

// Module returns the frozen `metrics` module (see the package
// documentation). logger gives the logger of a calling thread (for the
// dropped-sample warning); nil means none.
func (r *Registry) Module(logger func(*starlark.Thread) hclog.Logger) *starlarkstruct.Module {
	m := &starlarkstruct.Module{
		Name: "metrics",
		Members: starlark.StringDict{
			"counter":   builtin("metrics.counter", r.declare(kindCounter, logger)),
			"histogram": builtin("metrics.histogram", r.declare(kindHistogram, logger)),
		},
	}
	m.Freeze()
	return m
}

type kind string

const (
	kindCounter   kind = "counter"
	kindHistogram kind = "histogram"
)

var nameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

type builtinFunc = libutil.Func

// builtin returns a builtin whose panics become errors naming it.
func builtin(name string, impl builtinFunc) *starlark.Builtin { return libutil.Builtin(name, impl) }

func (r *Registry) declare(k kind, logger func(*starlark.Thread) hclog.Logger) builtinFunc {
	return func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var name, help string
		var labels *starlark.List
		var buckets *starlark.List
		var err error
		if k == kindCounter {
			err = starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name, "help", &help, "labels?", &labels)
		} else {
			err = starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name, "help", &help, "labels?", &labels, "buckets?", &buckets)
		}
		if err != nil {
			return nil, err
		}
		want, err := newFamilySpec(k, name, help, labels, buckets)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn.Name(), err)
		}
		f, err := r.family(want)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn.Name(), err)
		}
		return newMetric(f, r, r.moduleOf(thread), logger), nil
	}
}

// spec is what a declaration asks for.
type spec struct {
	kind    kind
	name    string // full name
	help    string
	labels  []string // the script's, without module
	buckets []float64
}

func newFamilySpec(k kind, name, help string, labels, buckets *starlark.List) (spec, error) {
	s := spec{kind: k, help: help}
	if !nameRE.MatchString(name) || strings.HasPrefix(name, "__") {
		return s, fmt.Errorf("name %q: want letters, digits and _ (not starting with a digit or __)", name)
	}
	s.name = Prefix + name
	if k == kindCounter && !strings.HasSuffix(s.name, "_total") {
		s.name += "_total"
	}
	if help == "" {
		return s, fmt.Errorf("%s: help is empty: say what it counts", s.name)
	}
	if labels != nil {
		if labels.Len() > maxLabels {
			return s, fmt.Errorf("%s: %d labels, at most %d", s.name, labels.Len(), maxLabels)
		}
		for i := 0; i < labels.Len(); i++ {
			l, ok := starlark.AsString(labels.Index(i))
			if !ok || !nameRE.MatchString(l) || strings.HasPrefix(l, "__") {
				return s, fmt.Errorf("%s: label %s: want a name of letters, digits and _", s.name, labels.Index(i))
			}
			if l == "module" || (k == kindHistogram && l == "le") {
				return s, fmt.Errorf("%s: label %q is fsstar's or Prometheus's own", s.name, l)
			}
			if slices.Contains(s.labels, l) {
				return s, fmt.Errorf("%s: label %q given twice", s.name, l)
			}
			s.labels = append(s.labels, l)
		}
	}
	if k == kindHistogram {
		if buckets == nil {
			s.buckets = prometheus.DefBuckets
		} else {
			if buckets.Len() == 0 || buckets.Len() > 50 {
				return s, fmt.Errorf("%s: buckets: want 1 to 50 upper bounds, got %d", s.name, buckets.Len())
			}
			for i := 0; i < buckets.Len(); i++ {
				f, ok := starlark.AsFloat(buckets.Index(i))
				if !ok {
					return s, fmt.Errorf("%s: buckets[%d]: want a number, got %s", s.name, i, buckets.Index(i).Type())
				}
				if i > 0 && f <= s.buckets[i-1] {
					return s, fmt.Errorf("%s: buckets: want increasing bounds, got %v after %v", s.name, f, s.buckets[i-1])
				}
				s.buckets = append(s.buckets, f)
			}
		}
	}
	return s, nil
}

// family returns the declared metric for s, declaring it the first time.
func (r *Registry) family(s spec) (*family, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// A counter's name and a histogram's are one name to the script
	// (calls_routed), though the counter's ends in _total.
	key := strings.TrimSuffix(s.name, "_total")
	if f, ok := r.families[key]; ok {
		if f.kind != s.kind || !slices.Equal(f.labels, s.labels) || !slices.Equal(f.buckets, s.buckets) {
			return nil, fmt.Errorf("%s is declared already as %s, not as %s (the first declaration holds until fsstar restarts)", f.name, f.describe(), s.describe())
		}
		return f, nil
	}
	if len(r.families) >= r.limits.MaxNames {
		return nil, fmt.Errorf("%s: scripts declared %d metric names already, the most %s allows", s.name, len(r.families), ParamMaxNames)
	}
	f := &family{spec: s, series: map[string]prometheus.Metric{}}
	all := append([]string{"module"}, s.labels...)
	var c prometheus.Collector
	switch s.kind {
	case kindCounter:
		f.counters = prometheus.NewCounterVec(prometheus.CounterOpts{Name: s.name, Help: s.help}, all)
		c = f.counters
	case kindHistogram:
		f.hists = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: s.name, Help: s.help, Buckets: s.buckets}, all)
		c = f.hists
	}
	if err := r.reg.Register(c); err != nil {
		return nil, fmt.Errorf("%s: the name is fsstar's own or taken: %w", s.name, err)
	}
	r.families[key] = f
	return f, nil
}

func (s spec) describe() string {
	d := fmt.Sprintf("a %s with labels %v", s.kind, s.labels)
	if s.kind == kindHistogram {
		d += fmt.Sprintf(" and buckets %v", s.buckets)
	}
	return d
}

// family is one declared metric name and its label sets.
type family struct {
	spec
	counters *prometheus.CounterVec
	hists    *prometheus.HistogramVec

	mu     sync.RWMutex
	series map[string]prometheus.Metric // label values joined by \xff, module first
	warned bool
}

// sample returns the series of values (module first), or nil when the
// metric has MaxSeries label sets already and this is a new one.
func (f *family) sample(values []string, max int) prometheus.Metric {
	var buf [256]byte
	kb := buf[:0]
	for i, v := range values {
		if i > 0 {
			kb = append(kb, 0xff)
		}
		kb = append(kb, v...)
	}
	f.mu.RLock()
	m, ok := f.series[string(kb)] // no allocation for the lookup
	f.mu.RUnlock()
	if ok {
		return m
	}
	key := string(kb)
	// WithLabelValues keeps the slice: give it its own.
	values = append([]string(nil), values...)
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.series[key]; ok {
		return m
	}
	if len(f.series) >= max {
		return nil
	}
	switch f.kind {
	case kindCounter:
		m = f.counters.WithLabelValues(values...)
	default:
		m = f.hists.WithLabelValues(values...).(prometheus.Metric)
	}
	f.series[key] = m
	return m
}

// firstDrop reports whether this is the metric's first dropped sample.
func (f *family) firstDrop() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	first := !f.warned
	f.warned = true
	return first
}

// moduleOf names the module whose code called the builtin: the dotted name
// of the caller's file below a script directory, else the file's base name.
func (r *Registry) moduleOf(thread *starlark.Thread) string {
	if thread.CallStackDepth() < 2 {
		return ""
	}
	file := thread.CallFrame(1).Pos.Filename()
	for _, root := range r.roots {
		rel, err := filepath.Rel(root, file)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
			continue
		}
		return strings.ReplaceAll(strings.TrimSuffix(filepath.ToSlash(rel), ".star"), "/", ".")
	}
	return strings.TrimSuffix(filepath.Base(file), ".star")
}
