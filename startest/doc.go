// Package startest runs fsstar's Starlark test files (`fsstar test`) and the
// narrated demo (`fsstar demo`) against a simulated FreeSWITCH
// (esl/esltest) and an in-process server (server), wired as in production.
//
// A test module is a file ending in _test.star below the script directory; it
// may load() the modules it tests. Every function test_*(t) in it runs, in
// source order, with a t that offers:
//
//	t.call(module, vars={}, args="", dtmf=[], hangup_after=None, timeout=10000,
//	       wait=True, expect_error=False)
//	    places a call whose dialplan runs the socket app towards the server with
//	    fsstar_app="<module> <args>" and vars set (caller_id_number,
//	    caller_id_name and destination_number also set the caller profile);
//	    dtmf is a list of (ms, digits) pressed at those times of the call's
//	    media clock; hangup_after hangs the caller up at ms of it. The media
//	    clock is simulated time while the channel runs an app (a prompt,
//	    play_and_get_digits, sleep, bridge...): the time the script takes
//	    between its commands does not count, as on a real switch where it is
//	    a few milliseconds. So (2500, "2") with a 1 s welcome prompt before
//	    the menu is pressed 1.5 s into the menu, however slow the machine.
//	    timeout (real ms) bounds the wait. A script error fails the test
//	    at the t.call line unless expect_error. Returns a call:
//	        .uuid .answered .hangup_cause
//	        .apps        [(name, arg)] of the applications executed, in order
//	        .app_names   [name]
//	        .responses   [(name, Application-Response)]
//	        .var(name)   a channel variable, or None
//	        .logs        the script's log lines for the call (consoleLog, print, errors)
//	        .errors      the script errors of the call
//	        .hangup(cause="NORMAL_CLEARING")  .wait()
//	        .send_dtmf(digits, after=0)  after ms more of the media clock
//	t.channel(uuid)                         any channel of the switch (a b-leg), as a call
//	t.fsapi(module, args="", env={})        what fsapi(None, stream, env, args) wrote
//	t.xml_fetch(module=<xml-handler-script>, section="", params={})
//	                                        xml_fetch's document, or None
//	t.run(module, args="", timeout=10000)   runtime(args)'s result
//	t.start(module, args="", timeout=10000) a background runtime job; job.wait()
//	t.logs()                                every script log line of the run so far
//	t.sleep(ms)                             waits ms of simulated time
//	t.wait_until(cond, timeout=10000, msg="")
//	                                        calls cond() until it is true; fails
//	                                        the test (as t.fatal) after timeout
//	                                        real ms: for what no clock orders (a
//	                                        callback's reaction, a bridge after
//	                                        an HTTP lookup)
//	t.http(path, body="", status=200, json=None, headers={}, method="", delay_ms=0)
//	                                        the run's local web server answers
//	                                        path so until the test ends (json:
//	                                        encoded, application/json;
//	                                        delay_ms: real time, as http's
//	                                        timeouts); returns its
//	                                        URL. The server's host:port is the
//	                                        one entry of http-allow-hosts, so
//	                                        the http module reaches it (and
//	                                        nothing else); unknown paths: 404
//	t.http_requests()                       what scripts sent it in this test:
//	                                        [.method .path .query .body .headers]
//	t.eq(got, want, msg="")  t.ne(got, unwanted, msg="")
//	t.true(x, msg="")  t.false(x, msg="")
//	t.contains(container, x, msg="")        x in container; a string x also
//	                                        matches a substring of a string or of
//	                                        an element of a list of strings
//	t.fail(msg)   records a failure and goes on
//	t.fatal(msg)  records a failure and stops the test
//	t.log(*args)  shown with -v or when the test fails
//	t.name
//
// A test function runs with the server's inbound connection to the
// simulated switch: freeswitch.API() and freeswitch.EventConsumer reach it
// (an EventConsumer("API") opened before t.call sees the api commands a
// handler sent).
//
// Failures are reported at the file:line of the assertion (or of the
// innermost Starlark frame of an error), in go test's form; see Run.
package startest
