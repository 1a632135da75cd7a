package calendar

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fsstar/fsstar/builtins/lib/internal/libutil"
	stime "go.starlark.net/lib/time"
	"go.starlark.net/starlark"
)

// Holidays is a set of days loaded from a CSV file (calendar.holidays). It
// is immutable.
type Holidays struct {
	path   string
	days   map[day]string    // one date
	yearly map[[2]int]string // month, day: every year
	ranges []holidayRange    // from~to, both included
	n      int
	m      *module // for name(at, tz)
}

type day struct{ y, m, d int }

type holidayRange struct {
	from, to day
	name     string
}

func (d day) before(e day) bool {
	if d.y != e.y {
		return d.y < e.y
	}
	if d.m != e.m {
		return d.m < e.m
	}
	return d.d < e.d
}

var (
	_ starlark.HasAttrs = (*Holidays)(nil)
	_ starlark.Mapping  = (*Holidays)(nil)
)

// parseDay reads YYYY-MM-DD.
func parseDay(s string) (day, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return day{}, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	return day{t.Year(), int(t.Month()), t.Day()}, nil
}

// parseHolidays reads the CSV: a header naming dateCol (and nameCol when
// the file has it); '#' starts a comment line. A date is YYYY-MM-DD, MM-DD
// (every year) or YYYY-MM-DD~YYYY-MM-DD (every day of the range).
func parseHolidays(path string, b []byte, dateCol, nameCol string) (*Holidays, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(b))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, csv.ErrFieldCount) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%q: no header line (want a %q column)", path, dateCol)
		}
		return nil, fmt.Errorf("%q: %w", path, err)
	}
	di, ni := -1, -1
	for i, h := range header {
		switch strings.TrimSpace(h) {
		case dateCol:
			di = i
		case nameCol:
			ni = i
		}
	}
	if di < 0 {
		return nil, fmt.Errorf("%q: the header %q has no %q column", path, strings.Join(header, ","), dateCol)
	}
	h := &Holidays{path: path, days: map[day]string{}, yearly: map[[2]int]string{}}
	for {
		rec, err := r.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%q: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if di >= len(rec) {
			return nil, fmt.Errorf("%q line %d: no %q field", path, line, dateCol)
		}
		date := strings.TrimSpace(rec[di])
		name := ""
		if ni >= 0 && ni < len(rec) {
			name = strings.TrimSpace(rec[ni])
		}
		if name == "" {
			name = date
		}
		switch {
		case strings.Contains(date, "~"):
			a, b, _ := strings.Cut(date, "~")
			from, err := parseDay(a)
			if err != nil {
				return nil, fmt.Errorf("%q line %d: %w", path, line, err)
			}
			to, err := parseDay(b)
			if err != nil {
				return nil, fmt.Errorf("%q line %d: %w", path, line, err)
			}
			if to.before(from) {
				return nil, fmt.Errorf("%q line %d: range %q ends before it starts", path, line, date)
			}
			h.ranges = append(h.ranges, holidayRange{from, to, name})
		case len(date) == 5:
			t, err := time.Parse("01-02", date)
			if err != nil {
				return nil, fmt.Errorf("%q line %d: %q is not a date MM-DD", path, line, date)
			}
			h.yearly[[2]int{int(t.Month()), t.Day()}] = name
		default:
			d, err := parseDay(date)
			if err != nil {
				return nil, fmt.Errorf("%q line %d: %w", path, line, err)
			}
			h.days[d] = name
		}
		h.n++
	}
	return h, nil
}

// lookup returns the name of the holiday on d.
func (h *Holidays) lookup(d day) (string, bool) {
	if n, ok := h.days[d]; ok {
		return n, true
	}
	if n, ok := h.yearly[[2]int{d.m, d.d}]; ok {
		return n, true
	}
	for _, r := range h.ranges {
		if !d.before(r.from) && !r.to.before(d) {
			return r.name, true
		}
	}
	return "", false
}

func dayOf(t time.Time) day { return day{t.Year(), int(t.Month()), t.Day()} }

// String names the file and the number of entries.
func (h *Holidays) String() string {
	return fmt.Sprintf("<calendar.holidays %s, %d entries>", starlark.String(h.path), h.n)
}

// Type is "calendar.holidays".
func (h *Holidays) Type() string { return "calendar.holidays" }

// Freeze does nothing: Holidays are immutable.
func (h *Holidays) Freeze() {}

// Truth is True when the file has an entry.
func (h *Holidays) Truth() starlark.Bool { return h.n > 0 }

// Hash fails: holiday sets are not hashable.
func (h *Holidays) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: calendar.holidays") }

// Get makes h["YYYY-MM-DD"] and h[time] the holiday's name, and `in` work.
func (h *Holidays) Get(k starlark.Value) (starlark.Value, bool, error) {
	var d day
	switch k := k.(type) {
	case starlark.String:
		var err error
		if d, err = parseDay(string(k)); err != nil {
			return nil, false, fmt.Errorf("calendar.holidays: %w", err)
		}
	case stime.Time:
		d = dayOf(time.Time(k))
	default:
		return nil, false, fmt.Errorf("calendar.holidays: key must be \"YYYY-MM-DD\" or a time.time, not %s", k.Type())
	}
	name, ok := h.lookup(d)
	if !ok {
		return nil, false, nil
	}
	return starlark.String(name), true, nil
}

// Attr returns the name method and the path and entries attributes.
func (h *Holidays) Attr(name string) (starlark.Value, error) {
	switch name {
	case "path":
		return starlark.String(h.path), nil
	case "entries":
		return starlark.MakeInt(h.n), nil
	case "name":
		return libutil.Builtin("calendar.holidays.name", h.name).BindReceiver(h), nil
	}
	return nil, nil
}

// AttrNames lists the attributes.
func (h *Holidays) AttrNames() []string { return []string{"entries", "name", "path"} }

// name is h.name(at=None, tz=None): the name of the holiday on that day,
// or None.
func (h *Holidays) name(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var at starlark.Value = starlark.None
	var tz string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "at?", &at, "tz?", &tz); err != nil {
		return nil, err
	}
	t, err := h.m.when(thread, at, tz, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	if n, ok := h.lookup(dayOf(t)); ok {
		return starlark.String(n), nil
	}
	return starlark.None, nil
}
