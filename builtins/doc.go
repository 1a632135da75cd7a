// Package builtins defines the names fsstar scripts see without load():
// the freeswitch module (mod_lua / mod_python names, spelled as they spell
// them), a read-only files module, and go.starlark.net's json, time and math.
//
//	freeswitch = module(consoleLog, consoleLog2, consoleCleanLog, console_log,
//	                    console_log2, console_clean_log, msleep, Event, Stream,
//	                    DTMF, Dbh, API, EventConsumer, Session, IVRMenu, JSON,
//	                    bridge, getGlobalVariable, setGlobalVariable, running,
//	                    escapeVars, quoteArg, dialVar, dialVars, appArgs,
//	                    apiArgs, email)
//	files      = module(read, csv, exists)
//	json, time, math   as in go.starlark.net/lib/json, lib/time, lib/math
//	re, crypto, encoding, calendar
//	                   builtins/lib/re, lib/crypto, lib/encoding, lib/calendar
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
// a typo silently at debug). When the call reaches a switch (see The switch;
// a Call.SwitchLog hook replaces that) the line also goes to the switch's own
// log (over ESL: `api log <level> <msg>`); a failure there is logged locally
// and does not fail the script.
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
//	e.addHeader(name, value)  appends a header (a name may repeat); an
//	                          empty value deletes the header instead, as
//	                          the switch does; True
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
//	e.fire()                  sends the event to the switch (ESL sendevent,
//	                          or the Call.FireEvent hook); True. Without a
//	                          switch connection it fails with an error
//	                          naming Event.fire.
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
// def DTMF(digit, duration=2000):
//
// Returns the DTMF value an input callback receives as obj when what is
// "dtmf": attributes digit (one of 0-9 * # A-D; a-d are made upper case) and
// duration (in samples, as the switch's DTMF-Duration header). DTMF values
// are immutable, hashable and compare by value.
//
// # Databases
//
// def Dbh(dsn, user="", pass="", typed=False):
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
//	    of column name to value, as mod_lua gives it: the text of the value
//	    ("3", "1.5", "2.0" for a real as SQLite writes it, "t"/"f"), and ""
//	    for NULL. A handle made with typed=True gives typed values instead
//	    (NULL None, integers int, reals float, text str, blobs bytes,
//	    timestamps time values). A true result (True,
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
//	dbh.test_reactive(test_sql, drop_sql="", reactive_sql="")
//	    Runs test_sql; when it fails, runs drop_sql (its error ignored) and
//	    then reactive_sql (schema creation on first use). True, or False when
//	    reactive_sql failed or is missing (as mod_lua: "missing parameters").
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
// # The switch
//
// What reaches the switch goes over the call's own outbound connection
// (Call.Conn, "async full") when the call has one, so that a call's commands
// go to the switch that owns it, and else over the inbound connection
// (Call.Client, else Options.Client). Without either, these names fail with
// an error saying no switch / no inbound ESL connection is configured.
// consoleLog also writes to the switch's log (`api log <level> <msg>`) and
// Event.fire sends `sendevent`.
//
// def API():
//
// Returns an API object:
//
//	api.execute(cmd, args="")  runs `api <cmd> <args>` and returns its output
//	                           as the switch wrote it (an -ERR output too);
//	                           only a broken connection is an error
//	api.executeString(s)       runs `api <s>` (command and arguments in one)
//	api.getTime()              milliseconds since the epoch (fsstar's clock)
//
// def getGlobalVariable(name):
//
// The global variable name (`api global_getvar`), or None when unset.
//
// def setGlobalVariable(name, value):
//
// Sets a global variable (`api global_setvar name=value`); None.
//
// def running():
//
// True while the call (for a runtime job, the service) has not been
// cancelled: hangup grace over, request timeout, shutdown.
//
// def EventConsumer(event_name="", subclass="", queue_len=5000):
//
// Returns a consumer of the switch's events on the inbound connection:
// `event plain <event_name> [<subclass>]` ("all" for every event; a subclass
// makes it CUSTOM). Events are queued for the consumer, at most queue_len;
// as with the switch's consumer, events that find the queue full are
// dropped (fsstar logs it) and the consumer goes on once the script pops.
// After a lost switch connection pop waits for it to come back. The queue
// is dropped when the call ends.
//
//	con.bind(event_name, subclass="")  one more event; 1, as mod_lua
//	con.pop(block=0, timeout=0)        the next event as an Event, or None:
//	                                   without block at once, with block
//	                                   waiting up to timeout ms (0: until
//	                                   the call ends)
//	con.cleanup()                      drops the queue; pop then fails
//
// The switch-side subscription stays (the inbound connection is shared).
//
// def Session(dest_or_uuid=None, a_leg=None):
//
// Returns a Session controlled over the inbound connection. A uuid attaches
// to that existing channel (an error when there is none). A dial string
// ("user/1000", "{x=y}sofia/gw/...", no spaces) is originated with a uuid
// fsstar chooses,
//
//	bgapi originate {origination_uuid=<uuid>,originate_timeout=60}<dest> &park()
//
// and then controlled by that uuid. As in
// mod_python, a failed originate is not an error: ready() is False and
// hangupCause() says why ("USER_BUSY"). With a_leg, a Session, the leg
// inherits from it and it hears its ringback while the leg rings, as
// switch_ivr_originate does for mod_lua (see session_originate.go); the
// a-leg's uuid is in the variable fsstar_a_leg_uuid. Without arguments, an
// empty Session for originate().
//
// def bridge(session_a, session_b):
//
// Bridges two channels (`api uuid_bridge <a> <b>`) and returns None once
// CHANNEL_BRIDGE arrived (the +OK is not the bridge). Unlike mod_python it
// does not block for the length of the bridge.
//
// # Session
//
// session is the first argument of handler(session, args) (the call that
// reached fsstar through the outbound socket) and what freeswitch.Session
// returns. str(session) is its uuid; two Session values of one channel are
// equal. Attribute:
//
//	session.uuid   the channel's uuid (mod_python's get_uuid() too)
//
// Every application goes out as `sendmsg` execute with event-lock and an
// Event-UUID fsstar chose, and the method returns when the matching
// CHANNEL_EXECUTE_COMPLETE arrives, so answer(); sleep(1000) takes a second.
// The state methods answer from the channel's events (CHANNEL_ANSWER,
// CHANNEL_PROGRESS_MEDIA, CHANNEL_BRIDGE/UNBRIDGE, CHANNEL_HANGUP[_COMPLETE])
// and the connect reply, without a round trip.
//
// After hangup (as in mod_python, and so that an ordinary hangup does not
// end a script with an error): media and application methods return at
// once with their empty result (streamFile 0, read "", execute None);
// ready() is False; getVariable answers from the variables of the hangup
// event; methods that would change the channel (setVariable, transfer,
// sendEvent, bridge) fail with "<method>: <uuid>: session hung up", which
// matches ErrHungUp. When the call's context ends (grace period over,
// shutdown), a blocking method fails with "<method>: interrupted: <cause>".
//
//	session.answer()                  app answer; 1, 0 after hangup
//	session.preAnswer()               app pre_answer; 1, 0 after hangup
//	session.hangup(cause="normal_clearing")
//	                                  app hangup <CAUSE>; None
//	session.ready()                   True while the channel is up (and its
//	                                  connection, and destroy() not called)
//	session.answered()                CHANNEL_ANSWER seen
//	session.mediaReady()              answered or early media, and ready
//	session.bridged()                 bridge_to set (uuid_getvar): bridged now
//	session.hangupCause()             the Hangup-Cause of the hangup event
//	                                  ("USER_BUSY"), "NONE" while up
//	session.getState()                Channel-State of the last event
//	session.hangupState()             None (mod_lua's runs the hangup state
//	                                  handlers, which the switch runs itself)
//	session.setVariable(name, value)  `api uuid_setvar` (visible to the very
//	                                  next app); None
//	session.getVariable(name)         `api uuid_getvar`: the current value, or
//	                                  None when unset (_undef_)
//	session.execute(app, data="")     runs any dialplan app; None. "transfer"
//	                                  and "park" mark the call transferred
//	session.streamFile(file, sample=0)
//	                                  app playback (file@@sample to start
//	                                  later); 1 when it played to its end, 0
//	                                  when missing, broken off or hung up
//	session.sleep(ms)                 app sleep; 1, or 0 after hangup
//	session.say(tosay, module_name, say_type, say_method, say_gender=None)
//	                                  app say <module> <type> <method>
//	                                  [<gender>] <text>; None
//	session.sayPhrase(phrase_name, phrase_data="", phrase_lang=None)
//	                                  app phrase <name>[,<data>]; None. A
//	                                  phrase_lang is an error (the app takes
//	                                  the channel variable language)
//	session.set_tts_params(tts_name, voice_name)
//	                                  kept for speak; None
//	session.speak(text)               app speak <engine>|<voice>|<text> (just
//	                                  <text> without set_tts_params: the
//	                                  channel's tts_engine / tts_voice); 1/0
//	session.recordFile(file, max_len=0, silence_threshold=0, silence_secs=0)
//	                                  app record <file> <max_len> <threshold>
//	                                  <secs>; 1, or 0 after hangup
//	session.read(min_digits, max_digits, prompt_audio_file, timeout,
//	        valid_terminators, digit_timeout=0)
//	                                  as switch_ivr_read: pre-answers, app
//	                                  playback of the prompt (the first key
//	                                  breaks it), then the digits from the
//	                                  DTMF events as getDigits; the digits
//	                                  ("" on timeout)
//	session.playAndGetDigits(min_digits, max_digits, max_tries, timeout,
//	        terminators, audio_files, bad_input_audio_files, digits_regex,
//	        var_name=None, digit_timeout=None, transfer_on_failure=None)
//	                                  app play_and_get_digits; the digits
//	                                  from variable_<var_name> (default
//	                                  fsstar_digits), "" when none were valid
//	session.getDigits(maxdigits, terminators, timeout, interdigit=0, abstimeout=0)
//	                                  as switch_ivr_collect_digits_count, from
//	                                  the channel's DTMF events (the keys
//	                                  pressed earlier first), no app: nothing
//	                                  plays and the channel is not
//	                                  pre-answered; a terminator ends it (not
//	                                  returned; later keys stay for the next
//	                                  read); the digits
//	session.collectDigits(abs_timeout) / collectDigits(digit_timeout, abs_timeout)
//	                                  gives the DTMF to the input callback
//	                                  until a result other than ""/"true",
//	                                  digit_timeout ms without a key, or
//	                                  abs_timeout ms (0: none); 0, at once
//	                                  without a callback
//	session.print(text)               real-time text (`api uuid_send_text`);
//	                                  1, 0 after hangup
//	session.process_callback_result(result)
//	                                  in an input callback, result applied
//	                                  to the file playing (`api uuid_fileman`):
//	                                  0, 1 for "stop" or with no file
//	session.flushDigits()             app flush_dtmf, and drops the DTMF
//	                                  fsstar queued; None
//	session.flushEvents()             reads the session's queued events; None
//	session.transfer(extension, dialplan="", context="")
//	                                  `api uuid_transfer`; the call is then
//	                                  Transferred and the hook's what is
//	                                  "transfer"; None
//	session.originate(a_leg_session, dest, timeout=60)
//	                                  on a Session(): originate as
//	                                  freeswitch.Session(dest) does; 0 when
//	                                  the leg answered, 1 when not (as
//	                                  CoreSession::originate). With an a-leg
//	                                  (here or freeswitch.Session(dest,
//	                                  a_leg)) the leg gets the a-leg's
//	                                  exported variables and caller ID, and
//	                                  the a-leg the originate's variables
//	                                  (originate_disposition, DIALSTATUS,
//	                                  originated_legs, ...), as
//	                                  switch_ivr_originate gives them
//	session.playAndDetectSpeech(file, engine, grammar)
//	                                  app play_and_detect_speech; its
//	                                  detect_speech_result, "" when none
//	session.detectSpeech(arg0, arg1=None, arg2=None, arg3=None)
//	                                  app detect_speech (fire_asr_events on:
//	                                  results are DETECTED_SPEECH events)
//	session.getPrivate(name)          None (nothing can be set: setPrivate
//	                                  takes a C pointer, under mod_lua too)
//	session.tts_name .voice_name .flags .allocated .cause .hook_state
//	                                  CoreSession's fields (see docs/api.md)
//	session.waitForAnswer(calling_session=None)
//	                                  as switch_ivr_wait_for_answer: the
//	                                  calling session hears its ringback
//	                                  until the leg answers or has early
//	                                  media; without it waits for
//	                                  CHANNEL_ANSWER or hangup (an int
//	                                  instead: a timeout in seconds, default
//	                                  60); None
//	session.setAutoHangup(val)        False: when the script ends the server
//	                                  sends resume instead of hanging up
//	session.setHangupHook(func, arg=None)
//	                                  func(session, what[, arg]) runs once,
//	                                  after the hangup ("hangup") or after the
//	                                  script transferred the call
//	                                  ("transfer"): for the handler's session
//	                                  once the handler returned, for a leg of
//	                                  freeswitch.Session at its next method
//	                                  call, where a result "exit" or "die"
//	                                  ends the script (*HookExit), as mod_lua
//	session.setInputCallback(cbfunc, funcargs=None)
//	                                  see Input callbacks; subscribes DTMF
//	session.unsetInputCallback()      removes it and the DTMF subscription
//	session.sendEvent(event)          `sendevent` of the Event with Unique-ID
//	                                  set to the channel; None
//	session.setEventData(event)       adds the channel's headers
//	                                  (`api uuid_dump <uuid> json`) to event
//	session.getXMLCDR()               the channel's uuid_dump in the shape of
//	                                  the switch's XML CDR (the live channel)
//	session.destroy(err=None)         a leg the script originated is hung up
//	                                  first (auto hangup on, not transferred);
//	                                  the handler's call is left to the
//	                                  dialplan; then the session is forgotten
//	                                  (its queue, callbacks) and later methods
//	                                  fail; with err, destroy raises err
//	                                  afterwards, as mod_lua's destroy(err)
//	session.startMedia(path)          fsstar only: plays path in the background
//	                                  (a playback execute not waited for, as
//	                                  uuid_broadcast) and returns at once a
//	                                  MediaHandle (path, active, stop());
//	                                  replaces one playing
//	session.stopMedia()               stops it (`api uuid_break <uuid>`, again
//	                                  until the playback's completion comes);
//	                                  True when there was one; any app the
//	                                  script runs next stops it first
//
// Names ESL cannot express (insertFile, setPrivate, setDTMFCallback,
// setLUA, setPython...) fail with
// "Session.<name>: not available over the event socket (...)", which names
// what to use instead; so do Event.chat_send and Event.chat_execute.
//
// # Menus
//
// def IVRMenu(main, name, greeting_sound=None, short_greeting_sound=None,
// invalid_sound=None, exit_sound=None, transfer_sound=None,
// confirm_macro=None, confirm_key=None, tts_engine=None, tts_voice=None,
// confirm_attempts=0, inter_timeout=0, digit_len=0, timeout=0,
// max_failures=0, max_timeouts=0):
//
// mod_lua's IVRMenu, with switch_ivr_menu_init's defaults (3 attempts,
// inter_timeout timeout/2, timeout 10000 ms, 3 failures, 3 timeouts). main
// is None for a menu of its own, or the menu whose stack this submenu joins.
//
//	menu.bindAction(action, arg, bind)
//	    action: menu-exit, menu-sub (arg: a menu's name), menu-exec-app
//	    (arg: "app data"), menu-play-sound (arg: a file), menu-back,
//	    menu-top. bind: the digits, or /regex/ ($1... in arg). An unknown
//	    action is logged and ignored, as in mod_lua.
//	menu.execute(session, name)
//	    runs switch_ivr_menu_execute's loop on session: the greeting (the
//	    short one after the first round) through the read app, a key
//	    breaks it and up to digit_len digits are collected (# ends them, or
//	    the channel variable ivr_menu_terminator); bindings are matched and
//	    their actions run; no key counts a timeout, a key bound to nothing
//	    plays invalid_sound and counts a failure; ivr_menu_status is set to
//	    success, failure or timeout, the menu::enter and menu::exit events
//	    fire, and exit_sound plays when the first menu ends. None.
//
// # JSON
//
// def JSON():
//
// mod_lua's JSON object, for ported scripts (the json module is the
// Starlark way): encode(table) writes a dict, list or tuple as cJSON
// does (compact unless return_unformatted_json(False); an empty one is
// {} unless encode_empty_table_as_object(False)); decode(text) reads
// objects as dicts and arrays as lists, numbers as floats, leaves nulls and
// arrays inside arrays out, None for text that is not JSON;
// execute(request) and execute2(request) run the switch's JSON api
// (`api json`, request a string or a dict) and return its response
// decoded, or as text.
//
// # Input callbacks
//
// While streamFile, sleep, speak, say, sayPhrase or recordFile run, every
// DTMF the caller presses calls, on the script's own thread,
//
//	cbfunc(session, "dtmf", DTMF(digit, duration), funcargs)
//
// (without funcargs when setInputCallback got none). Its result acts on the
// media as in FreeSWITCH: None, "" and "true" go on; "pause", "speed[:v]",
// "volume[:v]", "seek[:v]" (e.g. "seek:+500"), "restart" and "truncate" go
// to `api uuid_fileman <uuid> <result>`; "stop", "false", "break" and any
// other string end the media (`api uuid_break <uuid>`). An error raised by
// the callback ends the media and the method fails with it. DTMF is
// subscribed only while a callback is set.
package builtins
