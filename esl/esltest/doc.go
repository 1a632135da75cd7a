// Package esltest runs an in-process simulated FreeSWITCH that speaks real
// Event Socket (ESL) on loopback, in the spirit of net/http/httptest.
//
//	sw := esltest.NewSwitch(t)             // listens on 127.0.0.1:0, closed by t.Cleanup
//	conn, _ := net.Dial("tcp", sw.Addr())  // banner "auth/request", password ClueCon
//	ch, _ := sw.PlaceCall(ctx, srv.Addr(), map[string]string{"fsstar_app": "ivr.main"})
//	ch.SendDTMF("42#")
//	<-ch.Done()
//	ch.Apps()                              // what the script executed, in order, with results
//
// Its frames, header names, replies and events follow traffic recorded from a
// real FreeSWITCH 1.11 (shared/esl-transcripts).
//
// # What is simulated
//
//   - Inbound ESL: auth/userauth, commands before auth, exit, several commands
//     per write, CRLF, ACL-style rude rejection (a fault).
//   - api and bgapi (BACKGROUND_JOB, client Job-UUID honoured): status,
//     version, hostname, show channels|calls [as json], originate, uuid_kill,
//     uuid_exists, uuid_dump [json], uuid_getvar, uuid_setvar,
//     uuid_setvar_multi, uuid_break, uuid_fileman, uuid_send_dtmf,
//     uuid_recv_dtmf, uuid_bridge, uuid_transfer, uuid_answer, uuid_hold
//     (acknowledged only), global_getvar, global_setvar, eval, echo, log.
//   - Events in plain, json and xml (the last "event <format>" wins), ALL,
//     CUSTOM subclasses, filter / filter delete, nixevent, noevents, myevents,
//     sendevent, log/nolog (log/data frames for the log app and a few
//     lifecycle lines), divert_events (acknowledged).
//   - Channels with states, variables, DTMF and the lifecycle events
//     CHANNEL_CREATE, CHANNEL_PROGRESS(_MEDIA), CHANNEL_ANSWER, CHANNEL_PARK,
//     CHANNEL_EXECUTE(_COMPLETE), PLAYBACK_START/STOP, DTMF, CHANNEL_BRIDGE,
//     CHANNEL_UNBRIDGE, CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE,
//     CHANNEL_DESTROY. originate of loopback/<ext> makes two legs (a and b)
//     like mod_loopback; any other endpoint makes one leg that answers.
//   - sendmsg execute (execute-app-arg or a text/plain body, loops,
//     Event-UUID → Application-UUID), hangup, nomedia; apps: answer,
//     pre_answer, ring_ready, playback, play_and_get_digits, read, set,
//     export, unset, multiset, sleep, hangup, bridge, transfer, park, log,
//     info, speak, say, phrase, record, event, echo, socket. Media takes
//     simulated time: tone_stream and silence_stream durations are computed,
//     other files last one simulated second (WithFileDuration); WithTimeScale
//     makes simulated time run faster than real time. Channel.AtAppTime
//     schedules on a channel's app clock, which runs only while the channel
//     executes an app other than socket: a test's "press 2 at 2.5 s" then
//     does not depend on how fast the script sends its commands.
//     Channel.DTMFDuring presses digits at offsets into the next run of a
//     named app, measured from the app's start on that clock
//     (AppRun.Took is a run's length on it).
//   - Caller input as the switch handles it (each pinned by a transcript in
//     testdata/transcripts, see fidelity_test.go): playback, record, say,
//     phrase and speak take every digit that arrives and stop on one in
//     playback_terminators (unset: "*"); read and play_and_get_digits keep
//     the digits typed during their prompt; park and the socket app in
//     async mode drop digits that arrive between executes (those waiting
//     when an app ends with nothing queued behind it are gone before its
//     CHANNEL_EXECUTE_COMPLETE goes out); sleep ends on a
//     digit and leaves it queued (sleep_eat_digits: taken, only "*"
//     stops); sendevent naming a live channel in Unique-ID queues the event
//     to it (park fires it, media drops it); getvar replies are cut at 511
//     bytes; after uuid_bridge, the surviving leg goes on with its dialplan
//     after the interrupted app.
//   - Transfers (the transfer app, uuid_transfer, play_and_get_digits'
//     transfer_on_failure) set transfer_source and push transfer_history as
//     "<epoch>:<uuid>:bl_xfer:<ext>/<context>/<dialplan>".
//   - Outbound: PlaceCall and Route connect to an outbound socket server as
//     the socket app does, in async full or static mode, with linger,
//     "linger N", resume and the disconnect notices as recorded.
//   - Faults: Drop, DelayReplies, CorruptNextFrame, RefuseAuth,
//     RejectConnections, Stall, FailNextAPI.
//
// An application the switch does not know behaves as in FreeSWITCH: an
// "Invalid Application" error is logged, no CHANNEL_EXECUTE events are sent
// and the channel hangs up with DESTINATION_OUT_OF_ORDER.
//
// # What is not simulated
//
// SIP, RTP and real audio; codecs (every channel is L16/8000); the XML
// dialplan (Route and RouteApps stand in for it); conferences, queues,
// databases; mod_xml_curl and mod_curl; in-switch Lua or Python; events
// other than those listed and API (no HEARTBEAT, CODEC, CHANNEL_CALLSTATE, no
// CHANNEL_STATE for every state change: one CHANNEL_STATE is sent at hangup).
// Sendmsg executes run only while the channel is parked or held by the
// socket app, not in the middle of other dialplan apps.
// uuid_bridge is simplified: no media flows, and hangup_after_bridge is not
// read; park_after_bridge parks the leg when its bridge ends. DTMF events are sent when a digit
// arrives, where the switch sends them when an app or park dequeues it.
package esltest
