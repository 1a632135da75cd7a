package calendar

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// field is one time condition of the XML dialplan, evaluated as
// switch_xml_std_datetime_check evaluates it.
type field struct {
	name     string // the Starlark keyword (time_of_day); the dialplan writes time-of-day
	min, max int    // the range of its values
	value    func(t time.Time) int
}

// fields are the dialplan's time conditions, in the order the switch tests them.
var fields = []field{
	{"year", 1, 9999, func(t time.Time) int { return t.Year() }},
	{"yday", 1, 366, func(t time.Time) int { return t.YearDay() }},
	{"mon", 1, 12, func(t time.Time) int { return int(t.Month()) }},
	{"mday", 1, 31, func(t time.Time) int { return t.Day() }},
	{"week", 1, 53, func(t time.Time) int { return (t.YearDay()-1)/7 + 1 }},
	{"mweek", 1, 6, mweek},
	{"wday", 1, 7, func(t time.Time) int { return int(t.Weekday()) + 1 }}, // 1 = Sunday
	{"hour", 0, 23, func(t time.Time) int { return t.Hour() }},
	{"minute", 0, 59, func(t time.Time) int { return t.Minute() }},
	{"minute_of_day", 1, 1440, func(t time.Time) int { return t.Hour()*60 + t.Minute() + 1 }},
	{"time_of_day", 0, 86400, func(t time.Time) int { return t.Hour()*3600 + t.Minute()*60 + t.Second() }},
}

// mweek is the week of the month, 1 to 6, weeks starting on Sunday: the
// switch's formula (C's % truncates toward zero, as Go's).
func mweek(t time.Time) int {
	mday, wday := t.Day(), int(t.Weekday())
	firstdow := (7 - (mday-(wday+1))%7) % 7
	return int(math.Ceil(float64(mday+firstdow) / 7.0))
}

func fieldByName(name string) (*field, bool) {
	for i := range fields {
		if fields[i].name == name {
			return &fields[i], true
		}
	}
	return nil, false
}

// span is an inclusive range of values; from > to wraps around (the
// switch's "18-8": not 9 to 17).
type span struct{ from, to int }

func (s span) has(v int) bool {
	if s.from <= s.to {
		return v >= s.from && v <= s.to
	}
	return v >= s.from || v <= s.to
}

// cond is one parsed condition.
type cond struct {
	f     *field
	text  string  // as written, for String()
	spans []span  // the values (every field but date_time)
	dates []dates // date_time
}

// dates is one start~end range of date_time, in civil time: the zone is
// applied when it is evaluated. Start is included, end is not (as the switch).
type dates struct{ from, to civil }

type civil struct{ y, mo, d, h, mi, s int }

func (c civil) in(loc *time.Location) time.Time {
	return time.Date(c.y, time.Month(c.mo), c.d, c.h, c.mi, c.s, 0, loc)
}

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseCond parses the value of condition name in the dialplan's syntax.
func parseCond(name, text string) (cond, error) {
	f, ok := fieldByName(name)
	if !ok && name != "date_time" {
		return cond{}, fmt.Errorf("unknown condition %q (want one of year, yday, mon, mday, week, mweek, wday, hour, minute, minute_of_day, time_of_day, date_time)", name)
	}
	c := cond{f: f, text: text}
	if strings.TrimSpace(text) == "" {
		return c, fmt.Errorf("%s: empty value", name)
	}
	if name == "date_time" {
		c.f = &field{name: "date_time"}
		for item := range strings.SplitSeq(text, ",") {
			from, to, ok := strings.Cut(item, "~")
			if !ok {
				return c, fmt.Errorf("date_time %q: want \"YYYY-MM-DD HH:MM[:SS]~YYYY-MM-DD HH:MM[:SS]\", got %q", text, item)
			}
			a, err := parseDateTime(from)
			if err != nil {
				return c, fmt.Errorf("date_time %q: %w", text, err)
			}
			b, err := parseDateTime(to)
			if err != nil {
				return c, fmt.Errorf("date_time %q: %w", text, err)
			}
			c.dates = append(c.dates, dates{a, b})
		}
		return c, nil
	}
	for item := range strings.SplitSeq(text, ",") {
		item = strings.TrimSpace(item)
		a, b, isRange := strings.Cut(item, "-")
		parse := func(s string) (int, error) { return parseValue(f, strings.TrimSpace(s)) }
		if name == "time_of_day" {
			if !isRange {
				return c, fmt.Errorf("time_of_day %q: want ranges HH:MM[:SS]-HH:MM[:SS], got %q", text, item)
			}
			parse = parseClock
		}
		from, err := parse(a)
		if err != nil {
			return c, fmt.Errorf("%s %q: %w", name, text, err)
		}
		to := from
		if isRange {
			if to, err = parse(b); err != nil {
				return c, fmt.Errorf("%s %q: %w", name, text, err)
			}
		}
		c.spans = append(c.spans, span{from, to})
	}
	return c, nil
}

// parseValue reads one number of f (or a weekday name for wday).
func parseValue(f *field, s string) (int, error) {
	if f.name == "wday" && len(s) == 3 {
		for i, d := range weekdays {
			if strings.EqualFold(s, d) {
				return i + 1, nil
			}
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || s[0] == '+' || s[0] == '-' {
		if f.name == "wday" {
			return 0, fmt.Errorf("%q is not a day (1-7, 1 = Sunday, or sun mon tue wed thu fri sat)", s)
		}
		return 0, fmt.Errorf("%q is not a number or a range N-M", s)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", n, f.min, f.max)
	}
	return n, nil
}

// parseClock reads HH:MM[:SS] as seconds since midnight; 24:00[:00] is
// the end of the day.
func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("%q is not a time HH:MM[:SS]", s)
	}
	var v [3]int
	limits := [3]int{24, 59, 59}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || p == "" || p[0] == '+' || p[0] == '-' || len(p) > 2 {
			return 0, fmt.Errorf("%q is not a time HH:MM[:SS]", s)
		}
		if n > limits[i] {
			return 0, fmt.Errorf("%q is out of range 00:00:00-24:00:00", s)
		}
		v[i] = n
	}
	secs := v[0]*3600 + v[1]*60 + v[2]
	if secs > 86400 {
		return 0, fmt.Errorf("%q is out of range 00:00:00-24:00:00", s)
	}
	return secs, nil
}

// parseDateTime reads "YYYY-MM-DD[ HH:MM[:SS]]".
func parseDateTime(s string) (civil, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return civil{t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second()}, nil
		}
	}
	return civil{}, fmt.Errorf("%q is not a date and time YYYY-MM-DD[ HH:MM[:SS]]", s)
}

// match reports whether t (already in the zone) meets the condition.
func (c *cond) match(t time.Time) bool {
	if c.dates != nil {
		for _, d := range c.dates {
			from, to := d.from.in(t.Location()), d.to.in(t.Location())
			if !t.Before(from) && t.Before(to) {
				return true
			}
		}
		return false
	}
	v := c.f.value(t)
	for _, s := range c.spans {
		if s.has(v) {
			return true
		}
	}
	return false
}
