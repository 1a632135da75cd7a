package esl

import (
	"errors"
	"fmt"
	"strings"
)

// ErrConnLost is matched (errors.Is) by every error caused by the switch
// connection going away without the call ending: the TCP connection broke,
// the switch closed it, or a reconnect is in progress. Calls that were
// pending when it happened fail with it at once.
var ErrConnLost = errors.New("esl: connection to the switch lost")

// ErrClosed is returned by methods of a Client, Conn or Subscription that
// was closed by its owner.
var ErrClosed = errors.New("esl: connection closed")

// ErrRejected is returned by Dial when the switch refuses the connection by
// its ACL (a text/rude-rejection frame instead of the auth banner).
var ErrRejected = errors.New("esl: connection rejected by the switch ACL")

// ErrHangup is matched (errors.Is) by a *HangupError: the call a command was
// about has hung up.
var ErrHangup = errors.New("esl: call hung up")

// ErrOverflow is matched (errors.Is) by the *OverflowError that ends a
// Subscription whose consumer fell behind.
var ErrOverflow = errors.New("esl: subscription queue overflowed")

// ErrNoBanner is returned by Dial when the switch does not send its
// auth/request banner within the dial timeout.
var ErrNoBanner = errors.New("esl: no auth/request banner from the switch")

// AuthError reports that the switch refused the credentials given to Dial.
type AuthError struct {
	// User is the userauth user ("" for plain password auth).
	User string
	// Reply is the switch's Reply-Text, e.g. "-ERR invalid".
	Reply string
}

func (e *AuthError) Error() string {
	if e.User != "" {
		return fmt.Sprintf("esl: authentication as %q refused: %s", e.User, e.Reply)
	}
	return "esl: authentication refused: " + e.Reply
}

// CommandError reports a command the switch answered with an error: a
// command/reply whose Reply-Text starts with "-ERR", or an api/response body
// starting with "-ERR" or "-USAGE" (including "-ERR no reply").
type CommandError struct {
	// Command is the command line that was sent, e.g. "api uuid_kill x".
	Command string
	// Reply is the switch's answer with the trailing newline removed.
	Reply string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("esl: %s: %s", truncate(e.Command, 120), e.Reply)
}

// IsNoSuchChannel reports whether err is the switch's answer that the
// channel a command named does not exist (any more): a *CommandError with
// the uuid_* apis' "-ERR No such channel!" or sendmsg's "-ERR invalid
// session id [uuid]". Code deciding that a call is gone asks this instead
// of reading the reply's text.
func IsNoSuchChannel(err error) bool {
	ce, ok := errors.AsType[*CommandError](err)
	return ok && (strings.HasPrefix(ce.Reply, "-ERR No such channel") || strings.HasPrefix(ce.Reply, "-ERR invalid session id"))
}

// IsNoReply reports whether err is the switch's "-ERR no reply": the api
// ran and printed nothing (global_getvar of an unset variable...), which
// mod_lua's API:execute sees as "".
func IsNoReply(err error) bool {
	ce, ok := errors.AsType[*CommandError](err)
	return ok && strings.TrimSpace(ce.Reply) == "-ERR no reply"
}

// IsCommandNotFound reports whether err is the switch's answer to an api
// it does not have, "-ERR <api> Command not found!": the module that
// provides it (mod_hash for hash...) is not loaded.
func IsCommandNotFound(err error) bool {
	ce, ok := errors.AsType[*CommandError](err)
	return ok && strings.HasPrefix(ce.Reply, "-ERR ") && strings.HasSuffix(ce.Reply, " Command not found!")
}

// HangupError reports that the call a command was waiting on hung up. Cause
// is the Hangup-Cause of the CHANNEL_HANGUP event when it was seen, else "".
type HangupError struct {
	// UUID is the channel's Unique-ID.
	UUID string
	// Cause is the hangup cause, e.g. "NORMAL_CLEARING".
	Cause string
	// Event is the CHANNEL_HANGUP event, when it was seen.
	Event *Event
}

func (e *HangupError) Error() string {
	if e.Cause == "" {
		return fmt.Sprintf("esl: call %s hung up", e.UUID)
	}
	return fmt.Sprintf("esl: call %s hung up (%s)", e.UUID, e.Cause)
}

// Is makes errors.Is(err, ErrHangup) true.
func (e *HangupError) Is(target error) bool { return target == ErrHangup }

// OverflowError ends a Subscription whose queue was full when an event
// arrived for it.
type OverflowError struct {
	// Capacity is the queue size that was exceeded.
	Capacity int
}

func (e *OverflowError) Error() string {
	return fmt.Sprintf("esl: subscription closed: consumer fell behind (queue of %d events full)", e.Capacity)
}

// Is makes errors.Is(err, ErrOverflow) true.
func (e *OverflowError) Is(target error) bool { return target == ErrOverflow }

// replyError turns an error answer into a *CommandError, or returns nil.
func replyError(cmd, text string) error {
	t := strings.TrimRight(text, "\n")
	if strings.HasPrefix(t, "-ERR") || strings.HasPrefix(t, "-USAGE") {
		return &CommandError{Command: cmd, Reply: t}
	}
	return nil
}
