package calendar

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the zone database, so Europe/Paris works on a minimal image

	"github.com/fsstar/fsstar/builtins/lib/internal/libutil"
	stime "go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// maxZones bounds the time zones one module keeps loaded.
const maxZones = 256

// Options configure one server's `calendar` module.
type Options struct {
	// ReadFile reads a file of the script directories (the files module's
	// sandbox: relative paths, no "..", size-limited). Without it
	// calendar.holidays fails saying no script directories are configured.
	ReadFile func(path string) ([]byte, error)
	// Location is the zone used when neither tz nor a time.time gives one
	// (default: the server's local zone, time.Local).
	Location *time.Location
}

// Module returns a frozen `calendar` module (see the package documentation).
func Module(opts Options) *starlarkstruct.Module {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	m := &module{opts: opts, zones: map[string]*time.Location{}}
	mod := &starlarkstruct.Module{
		Name: "calendar",
		Members: starlark.StringDict{
			"check":    libutil.Builtin("calendar.check", m.check),
			"rule":     libutil.Builtin("calendar.rule", m.rule),
			"holidays": libutil.Builtin("calendar.holidays", m.holidays),
			"is_open":  libutil.Builtin("calendar.is_open", m.isOpen),
		},
	}
	mod.Freeze()
	return mod
}

// module is what the builtins of one `calendar` module share: the options
// and the zones loaded so far.
type module struct {
	opts  Options
	mu    sync.Mutex
	zones map[string]*time.Location
}

// zone loads a zone by IANA name, once.
func (m *module) zone(name string) (*time.Location, error) {
	m.mu.Lock()
	loc, ok := m.zones[name]
	m.mu.Unlock()
	if ok {
		return loc, nil
	}
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("tz %q: give an IANA zone name such as \"Europe/Paris\" or \"UTC\"", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	m.mu.Lock()
	if len(m.zones) >= maxZones {
		clear(m.zones)
	}
	m.zones[name] = loc
	m.mu.Unlock()
	return loc, nil
}

// when resolves the at and tz arguments to a time in its zone: tz wins,
// then def (a rule's own zone), then at's own zone, then Options.Location.
// at is None (now), a time.time, or "YYYY-MM-DD HH:MM[:SS]" in the zone.
func (m *module) when(thread *starlark.Thread, at starlark.Value, tz string, def *time.Location) (time.Time, error) {
	loc := def
	if tz != "" {
		l, err := m.zone(tz)
		if err != nil {
			return time.Time{}, err
		}
		loc = l
	}
	switch at := at.(type) {
	case nil, starlark.NoneType:
		nowFunc := stime.Now(thread)
		if nowFunc == nil && stime.NowFunc != nil { // as lib/time's time.now()
			nowFunc = func() (time.Time, error) { return stime.NowFunc(), nil }
		}
		if nowFunc == nil {
			return time.Time{}, fmt.Errorf("time.now() is not available")
		}
		now, err := nowFunc()
		if err != nil {
			return time.Time{}, fmt.Errorf("now: %w", err)
		}
		if loc == nil {
			loc = m.opts.Location
		}
		return now.In(loc), nil
	case stime.Time:
		t := time.Time(at)
		if loc == nil {
			return t, nil
		}
		return t.In(loc), nil
	case starlark.String:
		c, err := parseDateTime(string(at))
		if err != nil {
			return time.Time{}, fmt.Errorf("at: %w", err)
		}
		if loc == nil {
			loc = m.opts.Location
		}
		return c.in(loc), nil
	}
	return time.Time{}, fmt.Errorf("at: got %s, want None, a time.time or \"YYYY-MM-DD HH:MM[:SS]\"", at.Type())
}

// Rule is a set of time conditions that must all hold (calendar.rule).
type Rule struct {
	conds []cond
	loc   *time.Location // nil: the caller's
	tz    string
	m     *module // whose zones and default zone match uses
}

var _ starlark.HasAttrs = (*Rule)(nil)

// String shows the conditions in the dialplan's order.
func (r *Rule) String() string {
	var b strings.Builder
	b.WriteString("calendar.rule(")
	for i, c := range r.conds {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%s", c.f.name, starlark.String(c.text))
	}
	if r.tz != "" {
		if len(r.conds) > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "tz=%s", starlark.String(r.tz))
	}
	b.WriteString(")")
	return b.String()
}

// Type is "calendar.rule".
func (r *Rule) Type() string { return "calendar.rule" }

// Freeze does nothing: a Rule is immutable.
func (r *Rule) Freeze() {}

// Truth is True.
func (r *Rule) Truth() starlark.Bool { return true }

// Hash fails: rules are not hashable.
func (r *Rule) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: calendar.rule") }

// Attr returns the match method.
func (r *Rule) Attr(name string) (starlark.Value, error) {
	if name != "match" {
		return nil, nil
	}
	return libutil.Builtin("calendar.rule.match", r.matchBuiltin).BindReceiver(r), nil
}

// AttrNames lists the methods.
func (r *Rule) AttrNames() []string { return []string{"match"} }

func (r *Rule) matchBuiltin(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var at starlark.Value = starlark.None
	var tz string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "at?", &at, "tz?", &tz); err != nil {
		return nil, err
	}
	t, err := r.m.when(thread, at, tz, r.loc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	return starlark.Bool(r.match(t)), nil
}

func (r *Rule) match(t time.Time) bool {
	for i := range r.conds {
		if !r.conds[i].match(t) {
			return false
		}
	}
	return true
}

// newRule parses conditions given as keyword arguments (or dict items):
// names with '_' or '-' (the dialplan's minute-of-day), values str or int.
func (m *module) newRule(kwargs []starlark.Tuple) (*Rule, error) {
	r := &Rule{m: m}
	seen := map[string]bool{}
	for _, kv := range kwargs {
		k, ok := starlark.AsString(kv[0])
		if !ok {
			return nil, fmt.Errorf("condition name %s is not a string", kv[0])
		}
		name := strings.ReplaceAll(k, "-", "_")
		if seen[name] {
			return nil, fmt.Errorf("condition %s given twice", name)
		}
		seen[name] = true
		var text string
		switch v := kv[1].(type) {
		case starlark.String:
			text = string(v)
		case starlark.Int:
			text = v.String()
		default:
			return nil, fmt.Errorf("%s: got %s, want a string such as \"1-5\" or an int", name, kv[1].Type())
		}
		if name == "tz" {
			loc, err := m.zone(text)
			if err != nil {
				return nil, err
			}
			r.loc, r.tz = loc, text
			continue
		}
		c, err := parseCond(name, text)
		if err != nil {
			return nil, err
		}
		r.conds = append(r.conds, c)
	}
	// The dialplan's order, whatever the order of the arguments.
	order := func(c cond) int {
		for i := range fields {
			if c.f.name == fields[i].name {
				return i + 1
			}
		}
		return 0 // date_time first, as the switch
	}
	slices.SortStableFunc(r.conds, func(a, b cond) int { return order(a) - order(b) })
	return r, nil
}

// rule is calendar.rule(**conditions).
func (m *module) rule(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("%s: conditions are keyword arguments (wday=\"mon-fri\", time_of_day=\"09:00-17:30\", ...)", fn.Name())
	}
	r, err := m.newRule(kwargs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	return r, nil
}

// check is calendar.check(at=None, tz=None, **conditions).
func (m *module) check(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("%s: conditions, at and tz are keyword arguments", fn.Name())
	}
	var at starlark.Value = starlark.None
	var conds []starlark.Tuple
	for _, kv := range kwargs {
		if kv[0] == starlark.String("at") {
			at = kv[1]
			continue
		}
		conds = append(conds, kv)
	}
	r, err := m.newRule(conds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	t, err := m.when(thread, at, "", r.loc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	return starlark.Bool(r.match(t)), nil
}

// holidays is calendar.holidays(path, date_column="date", name_column="name").
func (m *module) holidays(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	dateCol, nameCol := "date", "name"
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "path", &path, "date_column?", &dateCol, "name_column?", &nameCol); err != nil {
		return nil, err
	}
	if m.opts.ReadFile == nil {
		return nil, fmt.Errorf("%s: no script directories are configured", fn.Name())
	}
	b, err := m.opts.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	h, err := parseHolidays(path, b, dateCol, nameCol)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	h.m = m
	return h, nil
}

// rules reads the hours argument of is_open: a rule, a dict of
// conditions, or a list or tuple of those.
func (m *module) rules(v starlark.Value) ([]*Rule, error) {
	switch v := v.(type) {
	case *Rule:
		return []*Rule{v}, nil
	case *starlark.Dict:
		r, err := m.newRule(v.Items())
		if err != nil {
			return nil, fmt.Errorf("hours: %w", err)
		}
		return []*Rule{r}, nil
	case *starlark.List, starlark.Tuple:
		var out []*Rule
		it := starlark.Iterate(v)
		defer it.Done()
		var x starlark.Value
		for it.Next(&x) {
			switch x.(type) {
			case *Rule, *starlark.Dict:
			default:
				return nil, fmt.Errorf("hours: got a %s in the list, want calendar.rule or dict items", x.Type())
			}
			rs, err := m.rules(x)
			if err != nil {
				return nil, err
			}
			out = append(out, rs...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("hours: got %s, want a calendar.rule, a dict of conditions or a list of those", v.Type())
}

// isOpen is calendar.is_open(hours, holidays=None, at=None, tz=None).
func (m *module) isOpen(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var hours, hol starlark.Value
	var at starlark.Value = starlark.None
	var tz string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "hours", &hours, "holidays?", &hol, "at?", &at, "tz?", &tz); err != nil {
		return nil, err
	}
	rules, err := m.rules(hours)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	var h *Holidays
	switch v := hol.(type) {
	case nil, starlark.NoneType:
	case *Holidays:
		h = v
	default:
		return nil, fmt.Errorf("%s: holidays: got %s, want calendar.holidays or None", fn.Name(), hol.Type())
	}
	// One zone for the holidays and every rule: tz, else the first rule's.
	var def *time.Location
	for _, r := range rules {
		if r.loc != nil {
			def = r.loc
			break
		}
	}
	t, err := m.when(thread, at, tz, def)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	if h != nil {
		if _, closed := h.lookup(dayOf(t)); closed {
			return starlark.False, nil
		}
	}
	for _, r := range rules {
		rt := t
		if r.loc != nil && tz == "" {
			rt = t.In(r.loc)
		}
		if r.match(rt) {
			return starlark.True, nil
		}
	}
	return starlark.False, nil
}
