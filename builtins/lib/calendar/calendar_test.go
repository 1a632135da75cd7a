package calendar

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	stime "go.starlark.net/lib/time"
	"go.starlark.net/starlark"
)

// files is a ReadFile over a map (the builtins package tests the real
// sandbox).
func files(m map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		s, ok := m[p]
		if !ok {
			return nil, fmt.Errorf("%q: %w", p, fs.ErrNotExist)
		}
		return []byte(s), nil
	}
}

const holidaysCSV = "\xef\xbb\xbfdate,name\n# fixed days\n2026-12-25,Christmas\n01-01,New Year\n2026-08-03~2026-08-14,Summer closure\n2026-05-01,\n"

func eval(t *testing.T, src string) (starlark.Value, error) {
	t.Helper()
	m := Module(Options{ReadFile: files(map[string]string{
		"holidays.csv":  holidaysCSV,
		"bad.csv":       "date,name\n2026-12-25,\"Christ\"mas\n",
		"baddate.csv":   "date,name\n2026-12-25,ok\n2026-13-01,bad\n",
		"badyearly.csv": "date\n02-30\n",
		"badrange.csv":  "date\n2026-12-31~2026-12-01\n",
		"nodate.csv":    "day,name\n2026-12-25,x\n",
		"empty.csv":     "",
		"short.csv":     "name,date\nx\n",
	}), Location: time.UTC})
	thread := &starlark.Thread{Name: "test"}
	// Now is fixed: Friday 2026-12-25 10:00 in Paris (09:00 UTC).
	stime.SetNow(thread, func() (time.Time, error) { return time.Date(2026, 12, 25, 9, 0, 0, 0, time.UTC), nil })
	g, err := starlark.ExecFile(thread, "t.star", src, starlark.StringDict{"calendar": m, "time": stime.Module})
	if err != nil {
		var ee *starlark.EvalError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("%s", ee.Msg)
		}
		return nil, err
	}
	return g["result"], nil
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		// wday: 1 is Sunday (2026-11-29 is a Sunday).
		{`result = calendar.check(at="2026-11-29 12:00", wday=1)`, `True`},
		{`result = calendar.check(at="2026-11-29 12:00", wday="sun")`, `True`},
		{`result = calendar.check(at="2026-11-29 12:00", wday="2-6")`, `False`},
		{`result = calendar.check(at="2026-11-29 12:00", wday="Mon-Fri")`, `False`},
		{`result = calendar.check(at="2026-11-29 12:00", wday="fri-mon")`, `True`},
		{`result = calendar.check(at="2026-11-29 12:00", wday="mon,wed,sun")`, `True`},
		{`result = calendar.check(at="2026-12-25 12:00", wday="mon-fri")`, `True`},
		{`result = calendar.check(at="2026-12-25 12:00", wday="7")`, `False`},
		// numbers, lists, ranges, wrapping ranges
		{`result = calendar.check(at="2026-12-25 12:00", mon=12, mday="24-26", year="2025-2027", yday=359)`, `True`},
		{`result = calendar.check(at="2026-12-25 12:00", hour="9-11,13-17")`, `False`},
		{`result = calendar.check(at="2026-12-25 12:00", hour="18-8")`, `False`},
		{`result = calendar.check(at="2026-12-25 03:00", hour="18-8")`, `True`},
		{`result = calendar.check(at="2026-12-25 12:34", minute="30-35")`, `True`},
		// week of the year: (yday-1)/7+1
		{`result = [calendar.check(at=d, week=w) for d, w in [("2026-01-01", 1), ("2026-01-07", 1), ("2026-01-08", 2), ("2026-12-31", 53)]]`, `[True, True, True, True]`},
		// week of the month, weeks from Sunday: 2026-11-01 is a Sunday, 2026-12-01 a Tuesday
		{`result = [calendar.check(at=d, mweek=w) for d, w in [("2026-11-01", 1), ("2026-11-07", 1), ("2026-11-08", 2), ("2026-11-30", 5), ("2026-12-05", 1), ("2026-12-06", 2)]]`, `[True, True, True, True, True, True]`},
		// minute_of_day is 1-based
		{`result = calendar.check(at="2026-12-25 00:00", minute_of_day=1)`, `True`},
		{`result = calendar.check(at="2026-12-25 23:59", minute_of_day="1440")`, `True`},
		{`result = calendar.check(at="2026-12-25 09:00", **{"minute-of-day": "541-1020"})`, `True`},
		// time_of_day: both ends included, to the second
		{`result = calendar.check(at="2026-12-25 17:30", time_of_day="09:00-17:30")`, `True`},
		{`result = calendar.check(at="2026-12-25 17:30:01", time_of_day="09:00-17:30")`, `False`},
		{`result = calendar.check(at="2026-12-25 08:59:59", time_of_day="09:00-17:30")`, `False`},
		{`result = calendar.check(at="2026-12-25 23:30", time_of_day="22:00-06:00")`, `True`},
		{`result = calendar.check(at="2026-12-25 12:00", time_of_day="08:00-10:00,11:30:00-12:00:00")`, `True`},
		{`result = calendar.check(at="2026-12-25 23:59:59", time_of_day="18:00-24:00")`, `True`},
		// date_time: start included, end not
		{`result = calendar.check(at="2026-12-24 18:00", date_time="2026-12-24 18:00~2026-12-26")`, `True`},
		{`result = calendar.check(at="2026-12-26 00:00", date_time="2026-12-24 18:00~2026-12-26")`, `False`},
		{`result = calendar.check(at="2026-12-31 12:00", date_time="2026-01-01~2026-01-02,2026-12-31 08:00~2026-12-31 13:00:30")`, `True`},
		// several conditions: all must hold
		{`result = calendar.check(at="2026-12-25 12:00", wday="mon-fri", time_of_day="09:00-17:30", mon="1-11")`, `False`},
		// zones: 09:00 UTC is 10:00 in Paris in winter, 11:00 in summer
		{`result = calendar.check(hour=10, tz="Europe/Paris")`, `True`},
		{`result = calendar.check(hour=9)`, `True`}, // Options.Location (UTC here)
		{`result = calendar.check(at=time.time(year=2026, month=7, day=1, hour=7, location="UTC"), tz="Europe/Paris", hour=9)`, `True`},
		{`result = calendar.check(at=time.time(year=2026, month=7, day=1, hour=7, location="America/New_York"), hour=7)`, `True`},
		{`result = calendar.check(at="2026-07-01 09:00", tz="Asia/Kolkata", time_of_day="09:00-09:00")`, `True`},
		// DST: 2026-03-29 in Paris jumps from 02:00 to 03:00
		{`result = calendar.check(at=time.time(year=2026, month=3, day=29, hour=1, minute=30, location="UTC"), tz="Europe/Paris", hour=3)`, `True`},
		// rule: parsed once
		{`r = calendar.rule(wday="mon-fri", time_of_day="09:00-17:30", tz="Europe/Paris")
result = (r.match(), r.match(at="2026-12-26 10:00"), r.match(at=time.time(year=2026, month=12, day=25, hour=9, location="UTC"), tz="Pacific/Kiritimati"), str(r))`, `(True, False, False, "calendar.rule(wday=\"mon-fri\", time_of_day=\"09:00-17:30\", tz=\"Europe/Paris\")")`},
	} {
		v, err := eval(t, tc.src)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
		} else if v.String() != tc.want {
			t.Errorf("%s = %s, want %s", tc.src, v, tc.want)
		}
	}
}

func TestHolidaysAndIsOpen(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`h = calendar.holidays("holidays.csv")
result = (h.entries, h.path, h.name(), h.name(at="2027-01-01 10:00"), h.name(at="2026-08-10 10:00"), h.name(at="2026-08-15 10:00"), h.name(at="2026-05-01 10:00"))`,
			`(4, "holidays.csv", "Christmas", "New Year", "Summer closure", None, "2026-05-01")`},
		{`h = calendar.holidays("holidays.csv")
result = ("2026-12-25" in h, "2026-12-24" in h, h["2030-01-01"], time.time(year=2026, month=8, day=3, location="UTC") in h)`, `(True, False, "New Year", True)`},
		// 2026-12-25 00:30 in Paris is still the 24th in UTC
		{`h = calendar.holidays("holidays.csv")
result = (h.name(at=time.time(year=2026, month=12, day=24, hour=23, minute=30, location="UTC"), tz="Europe/Paris"), h.name(at=time.time(year=2026, month=12, day=24, hour=23, minute=30, location="UTC")))`, `("Christmas", None)`},
		{`hours = {"wday": "mon-fri", "time-of-day": "09:00-17:30"}
h = calendar.holidays("holidays.csv")
result = [calendar.is_open(hours, h, at=a, tz="Europe/Paris") for a in ["2026-12-24 10:00", "2026-12-25 10:00", "2026-12-26 10:00", "2026-12-28 08:00", "2026-12-28 17:00"]]`,
			`[True, False, False, False, True]`},
		// several rules: any may match; a rule's own zone
		{`hours = [calendar.rule(wday="mon-fri", time_of_day="09:00-12:00,14:00-18:00"), {"wday": "sat", "time_of_day": "10:00-12:00"}]
result = [calendar.is_open(hours, at=a) for a in ["2026-12-26 11:00", "2026-12-26 13:00", "2026-12-28 13:00", "2026-12-28 15:00"]]`, `[True, False, False, True]`},
		{`result = calendar.is_open(calendar.rule(hour="10", tz="Europe/Paris"))`, `True`},
		{`result = calendar.is_open([])`, `False`},
		{`result = calendar.is_open({}, holidays=None)`, `True`},
	} {
		v, err := eval(t, tc.src)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
		} else if v.String() != tc.want {
			t.Errorf("%s = %s, want %s", tc.src, v, tc.want)
		}
	}
}

func TestCalendarErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`calendar.check(hour=24)`, `calendar.check: hour "24": 24 is out of range 0-23`},
		{`calendar.check(wday="monday")`, `calendar.check: wday "monday": "monday" is not a day (1-7, 1 = Sunday, or sun mon tue wed thu fri sat)`},
		{`calendar.check(wday=0)`, `calendar.check: wday "0": 0 is out of range 1-7`},
		{`calendar.check(mon="1-")`, `calendar.check: mon "1-": "" is not a number or a range N-M`},
		{`calendar.check(mday="1--3")`, `calendar.check: mday "1--3": "-3" is not a number`},
		{`calendar.check(minute_of_day=0)`, `calendar.check: minute_of_day "0": 0 is out of range 1-1440`},
		{`calendar.check(yday="")`, `calendar.check: yday: empty value`},
		{`calendar.check(time_of_day="09:00")`, `calendar.check: time_of_day "09:00": want ranges HH:MM[:SS]-HH:MM[:SS], got "09:00"`},
		{`calendar.check(time_of_day="09:00-25:00")`, `calendar.check: time_of_day "09:00-25:00": "25:00" is out of range 00:00:00-24:00:00`},
		{`calendar.check(time_of_day="9h-17h")`, `calendar.check: time_of_day "9h-17h": "9h" is not a time HH:MM[:SS]`},
		{`calendar.check(time_of_day="24:00:01-24:00")`, `out of range 00:00:00-24:00:00`},
		{`calendar.check(date_time="2026-12-24")`, `calendar.check: date_time "2026-12-24": want "YYYY-MM-DD HH:MM[:SS]~YYYY-MM-DD HH:MM[:SS]"`},
		{`calendar.check(date_time="2026-12-24~tomorrow")`, `calendar.check: date_time "2026-12-24~tomorrow": "tomorrow" is not a date and time`},
		{`calendar.check(weekday="mon")`, `calendar.check: unknown condition "weekday" (want one of year, yday, mon`},
		{`calendar.check(hour=1.5)`, `calendar.check: hour: got float, want a string such as "1-5" or an int`},
		{`calendar.check("mon")`, `calendar.check: conditions, at and tz are keyword arguments`},
		{`calendar.is_open({"hour": 1, "minute_of_day": 5, "minute-of-day": 6})`, `calendar.is_open: hours: condition minute_of_day given twice`},
		{`calendar.check(tz="Mars/Olympus", hour=1)`, `calendar.check: unknown time zone "Mars/Olympus"`},
		{`calendar.check(tz="", hour=1)`, `calendar.check: tz "": give an IANA zone name`},
		{`calendar.check(at=12, hour=1)`, `calendar.check: at: got int, want None, a time.time or "YYYY-MM-DD HH:MM[:SS]"`},
		{`calendar.check(at="25/12/2026", hour=1)`, `calendar.check: at: "25/12/2026" is not a date and time`},
		{`calendar.rule(hour=1).match(tz="Nowhere")`, `calendar.rule.match: unknown time zone "Nowhere"`},
		{`calendar.rule("hour")`, `calendar.rule: conditions are keyword arguments`},
		{`calendar.is_open("mon-fri")`, `calendar.is_open: hours: got string, want a calendar.rule, a dict of conditions or a list of those`},
		{`calendar.is_open([["mon"]])`, `calendar.is_open: hours: got a list in the list`},
		{`calendar.is_open({}, holidays="x.csv")`, `calendar.is_open: holidays: got string, want calendar.holidays or None`},
		{`calendar.holidays("missing.csv")`, `calendar.holidays: "missing.csv": file does not exist`},
		{`calendar.holidays("bad.csv")`, `calendar.holidays: "bad.csv": parse error on line 2, column 19: extraneous or missing " in quoted-field`},
		{`calendar.holidays("baddate.csv")`, `calendar.holidays: "baddate.csv" line 3: "2026-13-01" is not a date YYYY-MM-DD`},
		{`calendar.holidays("badyearly.csv")`, `calendar.holidays: "badyearly.csv" line 2: "02-30" is not a date MM-DD`},
		{`calendar.holidays("badrange.csv")`, `calendar.holidays: "badrange.csv" line 2: range "2026-12-31~2026-12-01" ends before it starts`},
		{`calendar.holidays("nodate.csv")`, `calendar.holidays: "nodate.csv": the header "day,name" has no "date" column`},
		{`calendar.holidays("empty.csv")`, `calendar.holidays: "empty.csv": no header line (want a "date" column)`},
		{`calendar.holidays("short.csv")`, `calendar.holidays: "short.csv" line 2: no "date" field`},
		{`calendar.holidays("holidays.csv")[3]`, `calendar.holidays: key must be "YYYY-MM-DD" or a time.time, not int`},
		{`calendar.holidays("holidays.csv")["2026-12-32"]`, `calendar.holidays: "2026-12-32" is not a date YYYY-MM-DD`},
		{`calendar.holidays("holidays.csv")["2026-12-24"]`, `key "2026-12-24" not in calendar.holidays`},
		{`calendar.check = None`, `can't assign to .check field of module`},
	} {
		_, err := eval(t, tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.src, err, tc.want)
		}
	}
	m := Module(Options{})
	// Without time.SetNow: the clock.
	if v, err := starlark.Call(&starlark.Thread{}, m.Members["check"], nil, []starlark.Tuple{{starlark.String("year"), starlark.MakeInt(time.Now().Year())}}); err != nil || v != starlark.True {
		t.Errorf("check(year=this year) = %v, %v", v, err)
	}
	_, err := starlark.Call(&starlark.Thread{}, m.Members["holidays"], starlark.Tuple{starlark.String("h.csv")}, nil)
	if err == nil || err.Error() != "calendar.holidays: no script directories are configured" {
		t.Errorf("holidays without ReadFile: %v", err)
	}
}

// TestFieldsAgainstTheSwitch compares week-of-month and day-of-week with
// an independent computation for every day of ten years, in the switch's
// numbering (wday 1 = Sunday, mweek from Sunday).
func TestFieldsAgainstTheSwitch(t *testing.T) {
	wd, _ := fieldByName("wday")
	mw, _ := fieldByName("mweek")
	wk, _ := fieldByName("week")
	for d := time.Date(2020, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() < 2030; d = d.AddDate(0, 0, 1) {
		first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC).Weekday() // 0 = Sunday
		if want := (d.Day()+int(first)-1)/7 + 1; mw.value(d) != want {
			t.Fatalf("%s: mweek %d, want %d", d.Format("2006-01-02 Mon"), mw.value(d), want)
		}
		if want := int(d.Weekday()) + 1; wd.value(d) != want {
			t.Fatalf("%s: wday %d, want %d", d.Format("2006-01-02"), wd.value(d), want)
		}
		if want := (d.YearDay()-1)/7 + 1; wk.value(d) != want || want > 53 {
			t.Fatalf("%s: week %d", d.Format("2006-01-02"), wk.value(d))
		}
	}
}

// BenchmarkIsOpen is the per-call cost of an office-hours check: a rule
// parsed once (at module level), a holiday set, a zone.
func BenchmarkIsOpen(b *testing.B) {
	m := Module(Options{ReadFile: files(map[string]string{"holidays.csv": holidaysCSV})})
	thread := &starlark.Thread{}
	rule, err := starlark.Call(thread, m.Members["rule"], nil, []starlark.Tuple{
		{starlark.String("wday"), starlark.String("mon-fri")},
		{starlark.String("time_of_day"), starlark.String("09:00-12:30,13:30-17:30")},
		{starlark.String("tz"), starlark.String("Europe/Paris")},
	})
	if err != nil {
		b.Fatal(err)
	}
	h, err := starlark.Call(thread, m.Members["holidays"], starlark.Tuple{starlark.String("holidays.csv")}, nil)
	if err != nil {
		b.Fatal(err)
	}
	isOpen := m.Members["is_open"]
	args := starlark.Tuple{rule, h}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := starlark.Call(thread, isOpen, args, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckInline is calendar.check with the conditions written in
// the call (parsed every time).
func BenchmarkCheckInline(b *testing.B) {
	m := Module(Options{})
	thread := &starlark.Thread{}
	check := m.Members["check"]
	kwargs := []starlark.Tuple{
		{starlark.String("wday"), starlark.String("mon-fri")},
		{starlark.String("time_of_day"), starlark.String("09:00-17:30")},
		{starlark.String("tz"), starlark.String("Europe/Paris")},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := starlark.Call(thread, check, nil, kwargs); err != nil {
			b.Fatal(err)
		}
	}
}
