// Package builtins defines the names fsstar scripts see without load():
// the freeswitch module (mod_lua / mod_python names, spelled as they spell
// them), a read-only files module, and go.starlark.net's json, time and math.
//
//	freeswitch = module(consoleLog, consoleCleanLog, msleep, Event, Stream, DTMF, Dbh)
//	files      = module(read, csv, exists)
//	json, time, math   as in go.starlark.net/lib/json, lib/time, lib/math
//
// Predeclared(opts) returns all five; Module(opts) and FilesModule(opts) one
// each. The values are frozen and shared by every call. What belongs to one
// call (its context, logger, the switch connection) travels on the call's
// Starlark thread in a Call (Attach or SetCall, CallOf), never in package
// state; cancelling the Call's Context ends blocking builtins and, through
// Attach, the thread.
//
// Every builtin unpacks its arguments with starlark.UnpackArgs, so keyword
// arguments work and errors name the function ("freeswitch.msleep: ...",
// "Event.addHeader: ..."), and turns a Go panic into a *PanicError instead of
// taking the host down.
//
// # Logging
//
// def consoleLog(level, msg):
//
// Writes msg to the call's log (the Call's hclog.Logger, which carries the
// call's uuid and module) and returns None. level is a FreeSWITCH level name,
// in any case, or its number: console (0), alert (1), crit (2), err (3),
// warning (4), notice (5), info (6), debug (7). alert, crit and err are
// written at hclog's error level, warning at warn, console, notice and info at
// info, debug at debug; the field fs_level keeps the FreeSWITCH name. Trailing
// line breaks are dropped. Any other level is an error (the switch would log
// a typo silently at debug). When the call has a Call.SwitchLog hook the line
// also goes to the switch's own log (over ESL: `api log <level> <msg>`); a
// failure there is logged locally and does not fail the script.
//
// def consoleCleanLog(msg):
//
// Like consoleLog at level debug on the switch's "clean" log channel (no
// file:line prefix there); locally the line carries clean=true.
//
// # Time
//
// def msleep(ms):
//
// Waits ms milliseconds (0 to 86400000) and returns None. When the call
// ends first (hangup, timeout, shutdown: its Context is cancelled) msleep
// fails at once with "freeswitch.msleep: interrupted: <cause>". It does not
// touch the channel: Session.sleep (which keeps media and DTMF flowing) is a
// Session method. For clocks use time.now(); API().getTime() (the switch's
// clock) needs the switch.
//
// # Events
//
// def Event(type, subclass=""):
//
// Returns a new Event with header Event-Name = type, and Event-Subclass =
// subclass when given. type is a FreeSWITCH event name (CUSTOM, DTMF,
// CHANNEL_ANSWER, ...; any case; a "SWITCH_EVENT_" prefix is accepted); an
// unknown name is an error. As in the switch, a subclass makes the event
// CUSTOM whatever type says, and Event("json", text) builds the event from
// its JSON serialization.
//
// An Event has these methods (it is mutable, unhashable; == compares the
// headers, in order, and the body; str() is a one-line summary):
//
//	e.addHeader(name, value)  appends a header (a name may repeat); True
//	e.getHeader(name)         the first header's value (exact name, else any
//	                          case), or None when there is none
//	e.delHeader(name)         removes every header of that name, in any case;
//	                          True when one was removed
//	e.addBody(text)           sets (replaces) the body; True
//	e.getBody()               the body, or None when it is empty
//	e.getType()               Event-Name, or "invalid" without one
//	e.serialize(format="plain")
//	                          the event as the switch writes it: "plain"
//	                          (text/event-plain, values URL-encoded, then
//	                          Content-Length and the body), "json"
//	                          (text/event-json) or "xml" (text/event-xml)
//	e.merge(other)            appends every header of the Event other (not
//	                          its body); True
//	e.fire()                  sends the event to the switch (ESL sendevent)
//	                          through Call.FireEvent; True. Without a switch
//	                          connection it fails with an error naming Event.fire.
//
// # Stream
//
// def Stream():
//
// Returns an empty Stream, the object an fsapi(session, stream, env, args)
// entry point writes its response to (the engine makes it with NewStream):
//
//	s.write(data)      appends data (a string or bytes); None
//	s.raw_write(data)  the same (the switch's raw_write skips printf
//	                   formatting, which Starlark never had)
//	s.get_data()       everything written so far, as a string
//
// A Stream holds at most Options.MaxStreamBytes (default 1 MiB): a write
// that would pass the limit fails and writes nothing. Nothing is truncated
// silently.
//
// # DTMF
//
// def DTMF(digit, duration=0):
//
// Returns the DTMF value an input callback receives as obj when what is
// "dtmf": attributes digit (one of 0-9 * # A-D; a-d are made upper case) and
// duration (in samples, as the switch's DTMF-Duration header). DTMF values
// are immutable, hashable and compare by value.
//
// # Databases
//
// def Dbh(dsn, user="", pass=""):
//
// Returns a database handle, one connection taken from the server's pool
// (Options.DB) for the data source dsn:
//
//	sqlite://path       SQLite (modernc.org/sqlite, built in). A relative path
//	                    is relative to the first script directory, and a name
//	                    without extension gets ".db" as in the switch
//	                    (sqlite://calls is <scripts>/calls.db); the directory
//	                    must exist. Writers wait up to 5 s for each other.
//	sqlite://:memory:   one in-memory database for the whole server, alive as
//	                    long as the pool, used by one handle at a time
//	postgres://... or postgresql://...   PostgreSQL (pgx), a URL
//	pgsql://host=... dbname=...          PostgreSQL, keyword/value form
//
// user and pass, when given, replace those of a PostgreSQL DSN. A DSN that
// cannot be read is an error; a database that cannot be reached is not (as in
// mod_lua): the handle is returned, connected() is False and last_error()
// says why. A handle the script does not release is given back when the call
// ends. Statements run under the call's context: when the call ends, a running
// statement is interrupted and the method fails. Handles are not safe to use
// from two threads.
//
//	dbh.query(sql, fn=None, args=None)
//	    Runs sql, with args (a list or tuple of None, bool, int, float, str,
//	    bytes) bound to its placeholders (? for SQLite, $1 for PostgreSQL).
//	    Without fn the statement is executed and affected_rows() counts the
//	    rows it changed. With fn, fn(row) is called for every row, row a dict
//	    of column name to value (NULL is None, integers int, reals float,
//	    text str, blobs bytes, timestamps time values); a true result (True,
//	    a non-zero number, a non-empty string) stops the query, as a non-zero
//	    return does in mod_lua. Returns True, or False when the database
//	    reported an error, which last_error() then holds. An error raised by
//	    fn stops the query and propagates. fn may not use the same handle.
//	dbh.query_rows(sql, args=None)
//	    Returns every row as a list of dicts; at most Options.MaxRows (default
//	    10000) rows, more is an error. A database error fails the call (and is
//	    kept for last_error()).
//	dbh.affected_rows()   rows changed by the last query() without fn
//	dbh.last_error()      the last database error, or None
//	dbh.clear_error()     forgets it; None
//	dbh.connected()       True while the handle holds a connection
//	dbh.release()         gives the connection back to the pool; True, or
//	                      False when it had none. Later queries fail.
//	dbh.test_reactive(test_sql, drop_sql, reactive_sql)
//	    Runs test_sql; when it fails, runs drop_sql (its error ignored) and
//	    then reactive_sql (schema creation on first use). True, or False when
//	    reactive_sql failed.
//	dbh.load_extension(path)   always an error: no native code is loaded.
//
// # Files
//
// The files module reads files of the script directories (Options.Roots) and
// nothing else. A path is relative, with "/" between elements, and is looked
// up in each script directory in order; the first that has it wins. Absolute
// paths, ".." elements, backslashes and symlinks that lead out of their
// script directory are refused with an error. Files larger than
// Options.MaxFileBytes (default 4 MiB) are refused.
//
// def files.read(path):
//
// Returns the content of the file as a string.
//
// def files.csv(path, header=True, delimiter=","):
//
// Reads a CSV file (RFC 4180; a leading UTF-8 BOM is skipped). With header,
// the first record names the columns and the result is a list of dicts, one
// per following record, column name to string; without, a list of lists of
// strings. Every record must have as many fields as the first, and header
// names must be unique; otherwise the error gives the line.
//
//	def caller_name(number):
//	    for row in files.csv("data/callers.csv"):
//	        if row["number"] == number:
//	            return row["name"]
//	    return None
//
// def files.exists(path):
//
// Reports whether path names a file or directory in a script directory. An
// invalid path is an error, not False.
//
// # Names that need the switch
//
// These mod_lua / mod_python names belong to the freeswitch module but need
// the ESL connection, and come with it (see docs/api.md): Session (and all
// its methods), API (execute, executeString, getTime), EventConsumer (bind,
// pop), bridge, getGlobalVariable, setGlobalVariable, running. Until then a
// script using them fails with "module has no .<name> field or method".
package builtins
