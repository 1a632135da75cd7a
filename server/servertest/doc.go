// Package servertest starts an fsstar server against a simulated switch, in
// the spirit of net/http/httptest: where httptest.NewServer serves an
// http.Handler on a loopback port, NewServer serves a directory of Starlark
// scripts with a server.Server whose peer is an esltest.Switch.
//
//	h := servertest.NewServer(t, map[string]string{"ivr/main.star": src})
//	ch, cause := h.Call(t, map[string]string{"fsstar_app": "ivr.main sales"})
//	ch.Var("ivr_args")                          // what the script set on the call
//	http.Get(h.URL("/api/tools?greet%201000"))  // the HTTP gateway
//	h.Logs()                                    // everything the server logged
//
// What NewServer sets up (the one place in the module that does):
//
//   - the scripts, written into a temporary directory (Dir) that the server
//     serves (script-directory), with file watching off;
//   - a simulated switch (esltest.NewSwitch), which places calls into the
//     server's outbound listener and which the server's inbound connection
//     reaches (esl-address, esl-password);
//   - the server's listeners on 127.0.0.1 ports of their own, drain-timeout
//     5s, everything else as server.DefaultConfig has it;
//   - the server's log from debug up (or from the log-level the test sets,
//     when not the default info), captured for Logs and printed when the
//     test fails;
//   - at the test's end, a drain (Close), then the switch and the directory
//     go.
//
// Options change each part: WithConfig edits the configuration,
// WithSwitch serves a switch the test made (several instances on one
// switch), WithSwitchOptions configures the switch NewServer starts,
// WithServerOptions passes server.Options, WithLogger sends the log
// elsewhere, WithDir serves an existing directory, Unstarted builds the
// server without binding or dialling anything (its Handler serves in
// process).
//
// The server starts connecting to the switch in the background, as `fsstar
// serve` does; WaitConnected waits until API() reaches the switch.
//
// New is NewServer without a testing.TB, for `fsstar test` and `fsstar demo`
// (package startest) and for examples: it returns an error instead of
// failing a test, and its caller calls Close.
package servertest
