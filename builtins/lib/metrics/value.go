package metrics

import (
	"errors"
	"fmt"
	"math"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"go.starlark.net/starlark"
)

// Metric is a declared counter or histogram, bound to the module that
// declared it. It holds no state of its own (the samples live in the
// Registry, safe for concurrent use), so a Metric made at module level may
// be shared, frozen, by every call.
type Metric struct {
	f      *family
	r      *Registry
	module string
	logger func(*starlark.Thread) hclog.Logger
	// methods are the bound methods, made once (not on every c.inc).
	methods map[string]*starlark.Builtin
}

// newMetric returns the Metric of f for module, its methods bound.
func newMetric(f *family, r *Registry, module string, logger func(*starlark.Thread) hclog.Logger) *Metric {
	m := &Metric{f: f, r: r, module: module, logger: logger, methods: map[string]*starlark.Builtin{}}
	var impls map[string]builtinFunc
	if f.kind == kindCounter {
		impls = map[string]builtinFunc{"inc": m.inc, "add": m.add}
	} else {
		impls = map[string]builtinFunc{"observe": m.observe}
	}
	for name, impl := range impls {
		m.methods[name] = builtin(m.Type()+"."+name, impl).BindReceiver(m)
	}
	return m
}

var _ starlark.HasAttrs = (*Metric)(nil)

func (m *Metric) String() string {
	return fmt.Sprintf("<metrics.%s %s module=%s>", m.f.kind, m.f.name, m.module)
}
func (m *Metric) Type() string          { return "metrics." + string(m.f.kind) }
func (m *Metric) Freeze()               {}
func (m *Metric) Truth() starlark.Bool  { return starlark.True }
func (m *Metric) Hash() (uint32, error) { return 0, errors.New("unhashable type: " + m.Type()) }

// AttrNames lists the methods (and the full name).
func (m *Metric) AttrNames() []string {
	if m.f.kind == kindCounter {
		return []string{"add", "inc", "name"}
	}
	return []string{"name", "observe"}
}

// Attr returns a method, or name (the exported name).
func (m *Metric) Attr(name string) (starlark.Value, error) {
	if name == "name" {
		return starlark.String(m.f.name), nil
	}
	if b, ok := m.methods[name]; ok {
		return b, nil
	}
	return nil, nil
}

func (m *Metric) inc(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("%s: labels are keyword arguments; to add more than 1 use add(value, ...)", fn.Name())
	}
	s, err := m.series(thread, fn, kwargs)
	if s != nil {
		s.(prometheus.Counter).Inc()
	}
	return starlark.None, err
}

func (m *Metric) add(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	v, err := value(fn, args)
	if err != nil {
		return nil, err
	}
	if v < 0 {
		return nil, fmt.Errorf("%s: %v: a counter only goes up", fn.Name(), v)
	}
	s, err := m.series(thread, fn, kwargs)
	if s != nil {
		s.(prometheus.Counter).Add(v)
	}
	return starlark.None, err
}

func (m *Metric) observe(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	v, err := value(fn, args)
	if err != nil {
		return nil, err
	}
	s, err := m.series(thread, fn, kwargs)
	if s != nil {
		s.(prometheus.Observer).Observe(v)
	}
	return starlark.None, err
}

// value is the one positional number of add and observe.
func value(fn *starlark.Builtin, args starlark.Tuple) (float64, error) {
	if len(args) != 1 {
		return 0, fmt.Errorf("%s: want one value and the labels as keyword arguments, got %d positional arguments", fn.Name(), len(args))
	}
	v, ok := starlark.AsFloat(args[0])
	if !ok {
		return 0, fmt.Errorf("%s: value: want a number, got %s", fn.Name(), args[0].Type())
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s: value: %v is not a finite number", fn.Name(), v)
	}
	return v, nil
}

// series returns the sample's series, or nil with no error when it was
// dropped (too many label sets).
func (m *Metric) series(thread *starlark.Thread, fn *starlark.Builtin, kwargs []starlark.Tuple) (prometheus.Metric, error) {
	f := m.f
	if len(kwargs) != len(f.labels) {
		return nil, fmt.Errorf("%s: want the labels %v, got %d", fn.Name(), f.labels, len(kwargs))
	}
	var buf [maxLabels + 1]string
	values := buf[:len(f.labels)+1]
	values[0] = m.module
	set := 0
	for _, kv := range kwargs {
		k := string(kv[0].(starlark.String))
		i := indexOf(f.labels, k)
		if i < 0 {
			return nil, fmt.Errorf("%s: label %q: %s has the labels %v", fn.Name(), k, f.name, f.labels)
		}
		var s string
		switch v := kv[1].(type) {
		case starlark.String:
			s = string(v)
		case starlark.Int:
			s = v.String()
		default:
			return nil, fmt.Errorf("%s: label %s: want str or int, got %s", fn.Name(), k, kv[1].Type())
		}
		if len(s) > maxValueLen {
			return nil, fmt.Errorf("%s: label %s: value of %d bytes, at most %d", fn.Name(), k, len(s), maxValueLen)
		}
		values[i+1] = s
		set |= 1 << i
	}
	if set != 1<<len(f.labels)-1 {
		return nil, fmt.Errorf("%s: want the labels %v", fn.Name(), f.labels)
	}
	s := f.sample(values, m.r.limits.MaxSeries)
	if s == nil {
		m.r.dropped.WithLabelValues(f.name, m.module).Inc()
		if f.firstDrop() && m.logger != nil {
			if log := m.logger(thread); log != nil {
				log.Warn("script metric has too many label sets: new ones are dropped",
					"metric", f.name, "max", m.r.limits.MaxSeries, "param", ParamMaxSeries)
			}
		}
	}
	return s, nil
}

func indexOf(l []string, s string) int {
	for i, x := range l {
		if x == s {
			return i
		}
	}
	return -1
}
