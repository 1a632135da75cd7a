// Package calendar is the `calendar` module of fsstar scripts: business
// hours and holidays, with the XML dialplan's time conditions evaluated in
// a time zone. The zone database is embedded (time/tzdata), so
// "Europe/Paris" works on an image without /usr/share/zoneinfo.
//
//	def check(at=None, tz=None, **conditions):
//	        True when every condition holds at that moment (now by default)
//	def rule(tz=None, **conditions):
//	        the same conditions parsed once: a calendar.rule whose
//	        r.match(at=None, tz=None) is check's answer
//	def holidays(path, date_column="date", name_column="name"):
//	        a calendar.holidays set read from a CSV file of the script
//	        directories (the files module's sandbox)
//	def is_open(hours, holidays=None, at=None, tz=None):
//	        False on a holiday; else True when one of hours (a rule, a dict
//	        of conditions, or a list of those) matches
//
// The conditions are the attributes of the dialplan's <condition> (and
// switch_xml_std_datetime_check's semantics), as keyword arguments with
// '_' for '-' (a dict given to is_open may use either spelling). Each value
// is a string in the dialplan's syntax, or an int:
//
//	year           1-9999
//	yday           day of the year, 1-366
//	mon            month, 1-12
//	mday           day of the month, 1-31
//	week           week of the year, 1-53: (yday-1)/7 + 1, weeks from 1 January
//	mweek          week of the month, 1-6, weeks starting on Sunday
//	wday           day of the week, 1-7 with 1 = SUNDAY (as FreeSWITCH, not
//	               ISO), or sun mon tue wed thu fri sat: "mon-fri", "2-6"
//	hour           0-23
//	minute         0-59
//	minute_of_day  1-1440: hour*60 + minute + 1 (00:00 is 1, as the switch)
//	time_of_day    "HH:MM[:SS]-HH:MM[:SS]", both ends included to the second
//	               ("09:00-17:00" holds at 17:00:00, not at 17:00:01);
//	               24:00 is the end of the day
//	date_time      "YYYY-MM-DD HH:MM[:SS]~YYYY-MM-DD HH:MM[:SS]", the start
//	               included and the end not (the time part may be left out)
//
// A value is a list of items separated by ','; an item is one value or a
// range "a-b", both ends included; a range whose start is after its end
// wraps around ("18-8" is every hour but 9 to 17; "fri-mon" is Friday to
// Monday; "22:00-06:00" is the night). Unlike the switch, which logs a
// malformed value and treats it as not matching, a malformed or
// out-of-range value is an error naming the condition.
//
// The zone: tz (an IANA name) if given, else the rule's own tz, else the
// zone of at when it is a time.time, else the server's local zone (the
// switch's dialplan uses the switch's local time too; give tz). at is None
// (now: time.now()), a time.time, or a string "YYYY-MM-DD HH:MM[:SS]" read
// in the zone. date_time ranges are read in the zone too (the switch reads
// them in its local time).
//
// The holidays CSV has a header line; the date column holds YYYY-MM-DD,
// MM-DD (every year) or YYYY-MM-DD~YYYY-MM-DD (every day of the range, both
// included); the name column is optional; lines starting with '#' are
// comments. A holidays value h answers h.name(at=None, tz=None) (the
// holiday's name, or None), "2026-12-25" in h, h["2026-12-25"] (the name),
// time.time values in both (the day in their own zone), h.path and
// h.entries. The file is read when holidays() is called: call it in the
// handler to see edits at once, or at module level to read it once per
// module load.
package calendar
