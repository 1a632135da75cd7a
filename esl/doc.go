// Package esl speaks FreeSWITCH's Event Socket protocol (mod_event_socket):
// the wire format, an inbound client and an outbound server.
//
// # Wire format
//
// A frame is a block of "Name: Value" header lines ended by an empty line,
// followed by exactly Content-Length body bytes when that header is
// present. Reader cuts a byte stream into Frames (switch to client) or
// Commands (client to switch) within Limits; AppendFrame and AppendCommand
// write them. Event is one event in any of the three formats the switch
// sends (text/event-plain, text/event-json, text/event-xml): ParseEvent
// decodes it and MarshalPlain, MarshalJSON and MarshalXMLText write it back
// byte for byte as the switch does.
//
// # Inbound: Client
//
// Dial connects to the switch (default port 8021), waits for the
// auth/request banner and authenticates (WithPassword, or WithUser for
// "userauth user@domain:password"). Then:
//
//   - API runs "api cmd" and returns its output; BgAPI runs "bgapi cmd" with
//     a Job-UUID it generates and returns the matching BACKGROUND_JOB event
//     (BgAPIAsync returns a Job to wait on later).
//   - Subscribe / Unsubscribe / NoEvents / Filter / FilterDelete / Log /
//     NoLog ask the switch for events and log lines; Listen routes what
//     arrives to a Subscription (by Match: channel uuid, event names or
//     CUSTOM subclasses, or log lines).
//   - Execute runs a dialplan application on a channel with sendmsg and an
//     Event-UUID it generates, and returns the CHANNEL_EXECUTE_COMPLETE whose
//     Application-UUID matches; Hangup, SendMsg, SendEvent and SendCommand
//     cover the rest.
//
// With WithReconnect the client dials again after a drop with capped,
// jittered exponential backoff, re-authenticates and replays its event
// subscriptions, filters and log level (pipelined, one round trip).
// WithStateHook reports StateConnected / StateDisconnected / StateClosed;
// Stats gives counters for metrics (reconnects, pending commands, queue
// depth, overflows).
//
// # Outbound: Server and Conn
//
// Server accepts the connections of the dialplan's socket application
// (`socket 127.0.0.1:8040 async full`) with the verbs of net/http.Server:
// ListenAndServe, Serve, Shutdown, Close. For each call it sends connect,
// keeps the channel data of the reply (Conn.Channel, Conn.UUID,
// Conn.Variable) and subscribes narrowly — "filter Unique-ID <uuid>" and
// "event plain CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP
// CHANNEL_HANGUP_COMPLETE" (+ DTMF and Server.Events) — and sends "linger"
// so the events after hangup still arrive, all in one round trip. Every
// event costs the switch CPU, so "myevents" is used only when asked
// (Server.MyEvents) or when the socket lacks full control (the switch then
// refuses event and linger). Then the Handler runs with a context that is
// cancelled when the call hangs up, the connection ends or the server shuts
// down; context.Cause tells which. Conn.Execute, API (async full only),
// GetVar, SetVar, Hangup, Resume, Linger, Subscribe, Listen and DTMF act
// on the call. In static mode (no async) the switch answers a sendmsg only
// when the application has finished; Execute works the same in both modes.
// When the handler returns the Conn is closed, with "exit" first when it
// lingers. Log lines about a call carry its uuid.
//
// # Concurrency
//
// Client and Conn are safe for use by many goroutines. Commands are written
// under a lock and their replies matched in send order (the switch answers
// in order). One reader goroutine per connection only reads and routes:
// replies to the waiting caller, BACKGROUND_JOB to its Job by Job-UUID,
// CHANNEL_EXECUTE_COMPLETE to its Execute by Application-UUID, and every
// event to the matching Subscriptions, in the order the switch sent them.
// A caller whose context ends gets context.Cause(ctx) at once; its reply is
// discarded when it arrives and the FIFO stays in step.
//
// # Overflow policy
//
// The reader never waits for a consumer. Each Subscription has a bounded
// queue (Match.Buffer, WithEventBuffer, Server.EventBuffer; default
// DefaultEventBuffer). When an event arrives for a Subscription whose queue
// is full, that Subscription is closed: the events already queued can
// still be read, then Next returns an *OverflowError (errors.Is
// ErrOverflow). Other subscribers and command replies are not affected.
// Nothing is dropped silently from the middle of a stream, so a consumer
// never works on a stream with a gap it cannot see; FreeSWITCH treats its
// own overflowing listeners the same way. Subscription.Len is the queue
// depth, Stats.QueueDepth and Stats.Overflows the totals.
//
// # Errors
//
//   - *AuthError: the switch refused the credentials (fast: "-ERR invalid").
//   - ErrRejected: the switch's ACL refused the connection
//     (text/rude-rejection).
//   - ErrNoBanner: no auth/request banner within the dial timeout.
//   - *CommandError: a -ERR command/reply, or api output starting with -ERR
//     or -USAGE ("-ERR no reply" included); it carries the command and text.
//     IsNoSuchChannel, IsNoReply and IsCommandNotFound tell the switch's
//     answers that callers act on, so no caller reads the text.
//   - *HangupError (errors.Is ErrHangup): the call hung up; Cause is the
//     Hangup-Cause of the CHANNEL_HANGUP event. An Execute pending at
//     hangup fails with it at once.
//   - ErrConnLost: the switch connection broke (or the switch ended the
//     session) while the call had not hung up; every pending call fails with
//     it at once, and so do new ones until a reconnect succeeds.
//   - ErrClosed: the Client, Conn or Subscription was closed by its owner.
//   - *OverflowError (errors.Is ErrOverflow): see the overflow policy.
//   - ErrServerClosed: returned by Serve after Shutdown or Close.
//
// The behaviour follows traffic recorded from a real FreeSWITCH
// (shared/esl-transcripts); the tests replay the recorded switch side
// against the client and the server over real TCP.
package esl
