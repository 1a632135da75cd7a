package metrics

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.starlark.net/starlark"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// root is a script directory the tests pretend their files are in.
var root = filepath.Join(string(filepath.Separator), "srv", "scripts")

func newRegistry(t *testing.T, l Limits) (*Registry, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	r, err := NewRegistry(reg, l, []string{root})
	if err != nil {
		t.Fatal(err)
	}
	return r, reg
}

// exec runs src as the module file (below root) with metrics predeclared.
func exec(t *testing.T, r *Registry, file, src string) error {
	t.Helper()
	pre := starlark.StringDict{"metrics": r.Module(nil)}
	_, err := starlark.ExecFile(&starlark.Thread{Name: t.Name()}, filepath.Join(root, file), src, pre)
	return err
}

// exposition checks that the text exposition of reg holds, among the lines
// of the families named, exactly the lines of want.
func exposition(t *testing.T, reg *prometheus.Registry, want string, families ...string) {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	var got []string
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		for _, f := range families {
			if strings.HasPrefix(line, f) || strings.HasPrefix(line, "# HELP "+f+" ") || strings.HasPrefix(line, "# TYPE "+f+" ") {
				got = append(got, line)
				break
			}
		}
	}
	if g, w := strings.Join(got, "\n"), strings.TrimSpace(want); g != w {
		t.Errorf("exposition:\n%s\nwant:\n%s", g, w)
	}
}

func mustErr(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one with %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func TestCountersAndHistogramsByModule(t *testing.T) {
	r, reg := newRegistry(t, Limits{})
	src := `
c = metrics.counter("calls_routed", "Calls routed, by route.", labels=["route"])
c.inc(route="sales")
c.add(2, route="sales")
c.inc(route=42)
h = metrics.histogram("lookup_seconds", "CRM lookup time.", buckets=[0.1, 1])
h.observe(0.05)
h.observe(0.5)
def again():
    # Declaring again inside a function (each call) gives the same metric.
    metrics.counter("calls_routed", "Calls routed, by route.", labels=["route"]).inc(route="sales")
again()
`
	if err := exec(t, r, "ivr/main.star", src); err != nil {
		t.Fatal(err)
	}
	if err := exec(t, r, "other.star", `metrics.counter("calls_routed_total", "another help", labels=["route"]).inc(route="sales")`); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP fsstar_script_calls_routed_total Calls routed, by route.
# TYPE fsstar_script_calls_routed_total counter
fsstar_script_calls_routed_total{module="ivr.main",route="42"} 1
fsstar_script_calls_routed_total{module="ivr.main",route="sales"} 4
fsstar_script_calls_routed_total{module="other",route="sales"} 1
# HELP fsstar_script_lookup_seconds CRM lookup time.
# TYPE fsstar_script_lookup_seconds histogram
fsstar_script_lookup_seconds_bucket{module="ivr.main",le="0.1"} 1
fsstar_script_lookup_seconds_bucket{module="ivr.main",le="1"} 2
fsstar_script_lookup_seconds_bucket{module="ivr.main",le="+Inf"} 2
fsstar_script_lookup_seconds_sum{module="ivr.main"} 0.55
fsstar_script_lookup_seconds_count{module="ivr.main"} 2
`
	exposition(t, reg, want, "fsstar_script_calls_routed_total", "fsstar_script_lookup_seconds")
	if n := r.Names(); n != 2 {
		t.Errorf("%d names, want 2", n)
	}
}

func TestConflictingRedeclaration(t *testing.T) {
	r, _ := newRegistry(t, Limits{})
	if err := exec(t, r, "a.star", `metrics.counter("x", "help", labels=["a"])
metrics.histogram("h", "help", buckets=[1, 2])`); err != nil {
		t.Fatal(err)
	}
	for src, want := range map[string]string{
		`metrics.counter("x", "help", labels=["b"])`:                  "fsstar_script_x_total is declared already as a counter with labels [a], not as a counter with labels [b]",
		`metrics.counter("x", "help")`:                                "not as a counter with labels []",
		`metrics.histogram("x_total", "help", labels=["a"])`:          "not as a histogram",
		`metrics.histogram("h", "help", buckets=[1, 3])`:              "buckets [1 2]",
		`metrics.counter("bad-name", "help")`:                         `name "bad-name"`,
		`metrics.counter("y", "")`:                                    "help is empty",
		`metrics.counter("y", "h", labels=["module"])`:                `label "module" is fsstar's`,
		`metrics.counter("y", "h", labels=["a", "a"])`:                `label "a" given twice`,
		`metrics.histogram("y", "h", buckets=[2, 1])`:                 "increasing",
		`metrics.counter("x", "help", labels=["a"]).inc()`:            "want the labels [a], got 0",
		`metrics.counter("x", "help", labels=["a"]).inc(b="1")`:       `label "b"`,
		`metrics.counter("x", "help", labels=["a"]).inc(a=1.5)`:       "want str or int",
		`metrics.counter("x", "help", labels=["a"]).add(-1, a="1")`:   "only goes up",
		`metrics.counter("x", "help", labels=["a"]).inc(1, a="1")`:    "use add",
		`metrics.histogram("h", "help", buckets=[1, 2]).observe("x")`: "want a number",
	} {
		mustErr(t, exec(t, r, "b.star", src), want)
	}
	if n := r.Names(); n != 2 {
		t.Errorf("failed declarations were kept: %d names", n)
	}
}

func TestNameOfFsstarItselfIsRefused(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fsstar_script_errors_total", Help: "fsstar's"}, []string{"entry"}))
	r, err := NewRegistry(reg, Limits{}, []string{root})
	if err != nil {
		t.Fatal(err)
	}
	mustErr(t, exec(t, r, "a.star", `metrics.counter("errors", "mine")`), "fsstar_script_errors_total: the name is fsstar's own or taken")
	mustErr(t, exec(t, r, "a.star", `metrics.counter("metric_samples_dropped", "mine")`), "the name is fsstar's own or taken")
}

func TestCardinalityCaps(t *testing.T) {
	r, reg := newRegistry(t, Limits{MaxNames: 2, MaxSeries: 3})
	err := exec(t, r, "a.star", `
c = metrics.counter("by_caller", "help", labels=["caller"])
def count():
    for n in range(10):
        c.inc(caller=str(n))
    c.inc(caller="0")
count()
metrics.counter("second", "help")
`)
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP fsstar_script_by_caller_total help
# TYPE fsstar_script_by_caller_total counter
fsstar_script_by_caller_total{caller="0",module="a"} 2
fsstar_script_by_caller_total{caller="1",module="a"} 1
fsstar_script_by_caller_total{caller="2",module="a"} 1
# HELP fsstar_script_metric_samples_dropped_total Samples of script metrics dropped because the metric had script-metrics-max-series label sets already.
# TYPE fsstar_script_metric_samples_dropped_total counter
fsstar_script_metric_samples_dropped_total{metric="fsstar_script_by_caller_total",module="a"} 7
`
	exposition(t, reg, want, "fsstar_script_by_caller_total", "fsstar_script_metric_samples_dropped_total")
	mustErr(t, exec(t, r, "a.star", `metrics.counter("third", "help")`),
		"fsstar_script_third_total: scripts declared 2 metric names already, the most "+ParamMaxNames+" allows")
	// The names declared stay usable.
	if err := exec(t, r, "a.star", `metrics.counter("second", "help").inc()`); err != nil {
		t.Error(err)
	}
}

// BenchmarkCounterInc is the cost of c.inc(route="sales") on a series that
// exists, Starlark call included.
func BenchmarkCounterInc(b *testing.B) {
	r, err := NewRegistry(prometheus.NewRegistry(), Limits{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	thread := &starlark.Thread{}
	v, err := starlark.Call(thread, r.Module(nil).Members["counter"], starlark.Tuple{starlark.String("calls"), starlark.String("help")},
		[]starlark.Tuple{{starlark.String("labels"), starlark.NewList([]starlark.Value{starlark.String("route")})}})
	if err != nil {
		b.Fatal(err)
	}
	inc, _ := v.(*Metric).Attr("inc")
	kw := []starlark.Tuple{{starlark.String("route"), starlark.String("sales")}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := starlark.Call(thread, inc, nil, kw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCounterIncFromStarlark is c.inc(route="sales") as a script writes
// it: the attribute lookup, the keyword arguments and the Starlark call.
func BenchmarkCounterIncFromStarlark(b *testing.B) {
	r, err := NewRegistry(prometheus.NewRegistry(), Limits{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	g, err := starlark.ExecFile(&starlark.Thread{}, "bench.star", `
c = metrics.counter("calls", "help", labels = ["route"])
def count():
    c.inc(route = "sales")
`, starlark.StringDict{"metrics": r.Module(nil)})
	if err != nil {
		b.Fatal(err)
	}
	thread := &starlark.Thread{}
	fn := g["count"]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := starlark.Call(thread, fn, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
