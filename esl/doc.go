// Package esl speaks FreeSWITCH's Event Socket protocol (mod_event_socket).
//
// The wire format: a frame is a block of "Name: Value" header lines ended by
// an empty line, followed by exactly Content-Length body bytes when that
// header is present. Reader cuts a byte stream into Frames (switch to client)
// or Commands (client to switch) within Limits; AppendFrame and
// AppendCommand write them. Event is one event in any of the three formats
// the switch sends (text/event-plain, text/event-json, text/event-xml):
// ParseEvent decodes it and MarshalPlain, MarshalJSON and MarshalXMLText
// write it back byte for byte as the switch does.
//
// The behaviour follows traffic recorded from a real FreeSWITCH
// (shared/esl-transcripts); the tests replay every recorded frame.
package esl
