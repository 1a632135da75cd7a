package esl

import (
	"context"
	"strconv"
	"strings"
)

// ExecuteOptions tune how a dialplan application is run through sendmsg.
type ExecuteOptions struct {
	// Loops runs the application this many times (the "loops" header) when
	// greater than 1.
	Loops int
	// EventLock makes the switch run the application before processing the
	// next message for the channel ("event-lock: true"), so executes sent
	// back to back do not interleave.
	EventLock bool
	// ArgInBody sends the argument as a text/plain body instead of the
	// execute-app-arg header. It is chosen automatically when the argument
	// holds a line break, starts with a blank (a header's value loses its
	// leading blanks) or is longer than bodyArgOver bytes.
	ArgInBody bool
	// Queued, when set, is called once the switch has accepted the sendmsg
	// (its +OK) and before the completion is awaited: a command sent from
	// it on the same connection reaches the switch after the execute.
	Queued func()
}

// bodyArgOver is the longest argument sent in the execute-app-arg header;
// a longer one goes in the body. mod_event_socket reads a command's headers
// one byte per read() (and yields after each), its body in one read: the
// body's two headers ("content-type: text/plain", "content-length: N",
// 44 bytes) cost the switch less than an argument longer than this in the
// header ("execute-app-arg: " and the argument).
const bodyArgOver = 26

// executeMessage builds the headers and body of a sendmsg execute.
func executeMessage(app, arg string, opts ExecuteOptions, eventUUID string) (Headers, []byte) {
	h := Headers{{"call-command", "execute"}, {"execute-app-name", app}}
	var body []byte
	inBody := opts.ArgInBody || len(arg) > bodyArgOver || strings.ContainsAny(arg, "\r\n") || strings.HasPrefix(arg, " ") || strings.HasPrefix(arg, "\t")
	if arg != "" && !inBody {
		h.Add("execute-app-arg", arg)
	}
	if opts.Loops > 1 {
		h.Add("loops", strconv.Itoa(opts.Loops))
	}
	if opts.EventLock {
		h.Add("event-lock", "true")
	}
	h.Add("Event-UUID", eventUUID)
	if arg != "" && inBody {
		h.Add("content-type", "text/plain")
		body = []byte(arg)
	}
	return h, body
}

// execute runs app on the channel uuid and waits for the
// CHANNEL_EXECUTE_COMPLETE that carries our Event-UUID as Application-UUID.
// target is the uuid written on the sendmsg line ("" on an outbound socket).
func (c *core) execute(ctx context.Context, target, uuid, app, arg string, opts ExecuteOptions) (*Event, error) {
	id := c.execID()
	w, err := c.register(c.execMap, id, uuid)
	if err != nil {
		return nil, err
	}
	h, body := executeMessage(app, arg, opts, id)
	if _, err := c.command(ctx, sendmsgLine(target), h, body); err != nil {
		c.unregister(c.execMap, id)
		return nil, err
	}
	if opts.Queued != nil {
		opts.Queued()
	}
	ev, err := w.wait(ctx)
	if err != nil {
		c.unregister(c.execMap, id)
		return nil, err
	}
	return ev, nil
}

func sendmsgLine(target string) string {
	if target == "" {
		return "sendmsg"
	}
	return "sendmsg " + target
}

// hangupMessage builds a sendmsg hangup.
func hangupMessage(cause string) Headers {
	h := Headers{{"call-command", "hangup"}}
	if cause != "" {
		h.Add("hangup-cause", cause)
	}
	return h
}

// Job is a bgapi command running in the switch. Its result is the
// BACKGROUND_JOB event with the same Job-UUID.
type Job struct {
	// ID is the Job-UUID fsstar generated and sent with the command.
	ID string
	// Command is the api command the job runs.
	Command string
	w       *waiter
}

// Done is closed when the result (or the connection's end) has arrived.
func (j *Job) Done() <-chan struct{} { return j.w.done }

// Wait returns the BACKGROUND_JOB event, waiting for it until ctx is done.
// An output starting with -ERR or -USAGE is also returned as a
// *CommandError, together with the event.
func (j *Job) Wait(ctx context.Context) (*Event, error) {
	ev, err := j.w.wait(ctx)
	if err != nil {
		return nil, err
	}
	return ev, replyError("bgapi "+j.Command, string(ev.Body))
}

// bgapi starts cmd in the background; BACKGROUND_JOB must be subscribed.
func (c *core) bgapi(ctx context.Context, cmd string) (*Job, error) {
	id := newUUID()
	w, err := c.register(c.jobMap, id, "")
	if err != nil {
		return nil, err
	}
	if _, err := c.command(ctx, "bgapi "+cmd, Headers{{"Job-UUID", id}}, nil); err != nil {
		c.unregister(c.jobMap, id)
		return nil, err
	}
	return &Job{ID: id, Command: cmd, w: w}, nil
}
