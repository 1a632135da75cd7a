package esltest

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/fsstar/fsstar/esl"
	"github.com/google/uuid"
)

// dispatch handles one command of an authenticated inbound connection or of
// a connected outbound one. It returns false when the connection is to end.
func (c *conn) dispatch(cmd *esl.Command) bool {
	if c.closed() { // dropped (Drop): no command acts any more
		return false
	}
	line := strings.TrimSpace(cmd.Line)
	verb, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch verb {
	case "exit":
		c.reply("+OK bye")
		c.disconnectNotice(c.controlledUUID())
		return false
	case "api":
		if c.outbound && !c.full {
			return c.reply("-ERR command not found")
		}
		return c.apiResponse(c.sw.api(c.sw.ctx, arg))
	case "bgapi":
		if c.outbound && !c.full {
			return c.reply("-ERR command not found")
		}
		return c.bgapi(arg, cmd.Headers)
	case "event":
		return c.event(arg)
	case "nixevent":
		return c.nixevent(arg)
	case "noevents":
		c.mu.Lock()
		listening := c.sub.format != "" || c.sub.myUUID != ""
		c.sub.format, c.sub.all, c.sub.allCustom, c.sub.myUUID = "", false, false, ""
		c.sub.names, c.sub.custom = map[string]bool{}, map[string]bool{}
		c.mu.Unlock()
		if !listening {
			return c.reply("-ERR not listening for events")
		}
		return c.reply("+OK no longer listening for events")
	case "filter":
		return c.filter(arg)
	case "myevents":
		return c.myevents(arg)
	case "sendevent":
		return c.sendevent(arg, cmd)
	case "sendmsg":
		return c.sendmsg(arg, cmd)
	case "log":
		n := 7
		if arg != "" {
			if v, ok := esl.ParseLogLevel(arg); ok {
				n = v
			}
		}
		c.mu.Lock()
		c.sub.logLevel = n
		c.mu.Unlock()
		if arg == "" {
			arg = strconv.Itoa(n)
		}
		return c.reply("+OK log level " + arg + " [" + strconv.Itoa(n) + "]")
	case "nolog":
		c.mu.Lock()
		was := c.sub.logLevel >= 0
		c.sub.logLevel = -1
		c.mu.Unlock()
		if !was {
			return c.reply("-ERR not loging")
		}
		return c.reply("+OK no longer logging")
	case "divert_events":
		if !c.outbound {
			return c.reply("-ERR not controlling a session.")
		}
		if arg == "on" {
			return c.reply("+OK events diverted")
		}
		return c.reply("+OK events not diverted")
	case "linger", "nolinger", "resume", "getvar":
		if c.outbound {
			return c.outboundCommand(verb, arg)
		}
		if verb == "linger" || verb == "nolinger" {
			return c.reply("-ERR not controlling a session")
		}
		return c.reply("-ERR command not found")
	default:
		return c.reply("-ERR command not found")
	}
}

func (c *conn) controlledUUID() string {
	if !c.outbound {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch == nil {
		return ""
	}
	return c.ch.uuid
}

func (c *conn) bgapi(arg string, h esl.Headers) bool {
	job := h.Get("Job-UUID")
	if job == "" {
		job = uuid.NewString()
	}
	ok := c.reply("+OK Job-UUID: "+job, esl.Header{Name: "Job-UUID", Value: job})
	sw := c.sw
	sw.wg.Add(1)
	go func() {
		defer sw.wg.Done()
		out := sw.api(sw.ctx, arg)
		name, rest, _ := strings.Cut(arg, " ")
		ev := sw.newEvent("BACKGROUND_JOB", "mod_event_socket.c", "api_exec", 1572)
		ev.Headers.Add("Job-UUID", job)
		ev.Headers.Add("Job-Command", name)
		if rest = strings.TrimSpace(rest); rest != "" {
			ev.Headers.Add("Job-Command-Arg", rest)
		}
		ev.Body = []byte(out)
		sw.publish(ev)
	}()
	return ok
}

func (c *conn) event(arg string) bool {
	words := strings.Fields(arg)
	format := "plain"
	if len(words) > 0 {
		switch strings.ToLower(words[0]) {
		case "plain", "json", "xml":
			format = strings.ToLower(words[0])
			words = words[1:]
		}
	}
	if c.subscribe(format, words) {
		return c.reply("+OK event listener enabled " + format)
	}
	return c.reply("-ERR no keywords supplied")
}

// subscribe adds event names (ALL, CUSTOM and its subclasses) and sets the
// format for all events; false when no name was valid.
func (c *conn) subscribe(format string, words []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outbound && c.sub.myUUID != "" && len(words) == 0 {
		c.sub.format = format
		return true
	}
	any := false
	custom := false
	for _, w := range words {
		switch {
		case custom:
			c.sub.custom[w] = true
			any = true
		case w == "CUSTOM":
			custom = true
			c.sub.allCustom = true
			any = true
		case w == "ALL":
			c.sub.all = true
			any = true
		case esl.IsEventName(w): // else "-ERR no keywords supplied" when nothing valid is left, as the switch
			c.sub.names[w] = true
			any = true
		}
	}
	if len(c.sub.custom) > 0 {
		c.sub.allCustom = false
	}
	if any {
		c.sub.format = format
	}
	return any
}

func (c *conn) nixevent(arg string) bool {
	c.mu.Lock()
	custom := false
	for _, w := range strings.Fields(arg) {
		switch {
		case custom:
			delete(c.sub.custom, w)
		case w == "CUSTOM":
			custom = true
			c.sub.allCustom = false
		case w == "ALL":
			c.sub.all = false
			c.sub.allCustom = false
			c.sub.names = map[string]bool{}
			c.sub.custom = map[string]bool{}
		default:
			delete(c.sub.names, w)
		}
	}
	c.mu.Unlock()
	return c.reply("+OK events nixed")
}

func (c *conn) filter(arg string) bool {
	if del, ok := strings.CutPrefix(arg, "delete"); ok && (del == "" || del[0] == ' ') {
		header, value, _ := strings.Cut(strings.TrimSpace(del), " ")
		value = strings.TrimSpace(value)
		c.mu.Lock()
		if header == "all" || header == "" {
			c.sub.filters = nil
			header = "all"
		} else {
			kept := c.sub.filters[:0]
			for _, f := range c.sub.filters {
				if f.header == header && (value == "" || f.value == value) {
					continue
				}
				kept = append(kept, f)
			}
			c.sub.filters = kept
		}
		c.mu.Unlock()
		return c.reply("+OK filter deleted. [" + header + "][" + value + "]")
	}
	header, value, _ := strings.Cut(arg, " ")
	value = strings.TrimSpace(value)
	if header == "" || value == "" {
		return c.reply("-ERR invalid syntax")
	}
	f := filter{header: header, value: value}
	if strings.HasPrefix(value, "/") {
		// switch_regex_perform: "/re/flags" (only "i" matters here) or "/re".
		expr, flags := value[1:], ""
		if i := strings.LastIndexByte(expr, '/'); i >= 0 {
			expr, flags = expr[:i], expr[i+1:]
		}
		if strings.Contains(flags, "i") {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return c.reply("-ERR invalid regex")
		}
		f.re = re
	}
	c.mu.Lock()
	c.sub.filters = append(c.sub.filters, f)
	c.mu.Unlock()
	return c.reply("+OK filter added. [" + header + "]=[" + value + "]")
}

func (c *conn) myevents(arg string) bool {
	words := strings.Fields(arg)
	id := ""
	format := "plain"
	if c.outbound {
		id = c.controlledUUID()
		if len(words) > 0 {
			format = strings.ToLower(words[0])
		}
	} else {
		if len(words) == 0 {
			return c.reply("-ERR command not found")
		}
		id = words[0]
		if len(words) > 1 {
			format = strings.ToLower(words[1])
		}
	}
	if format != "json" && format != "xml" {
		format = "plain"
	}
	c.mu.Lock()
	c.sub.myUUID = id
	c.sub.format = format
	c.mu.Unlock()
	return c.reply("+OK Events Enabled")
}

func (c *conn) sendevent(arg string, cmd *esl.Command) bool {
	name := strings.TrimSpace(arg)
	if name == "" {
		name = cmd.Headers.Get("Event-Name")
	}
	if name == "" {
		name = "CUSTOM"
	}
	id := cmd.Headers.Get("Event-UUID")
	if id == "" {
		id = uuid.NewString()
	}
	core := c.sw.newEvent(name, "mod_event_socket.c", "parse_command", 2135)
	ev := &esl.Event{}
	if sub := cmd.Headers.Get("Event-Subclass"); sub != "" {
		ev.Headers.Add("Event-Subclass", sub)
	}
	ev.Headers.Add("Command", "sendevent "+name)
	for _, h := range cmd.Headers {
		switch h.Name {
		case "Event-Subclass", "Content-Length", "Event-UUID", "Event-Name":
			continue
		}
		ev.Headers.Add(h.Name, h.Value)
	}
	ev.Headers.Add("Event-UUID", id)
	ev.Headers = append(ev.Headers, core.Headers...)
	ev.Body = cmd.Body
	ok := c.reply("+OK " + id)
	// An event naming a live channel in Unique-ID is queued to that
	// session instead (mod_event_socket parse_command): park fires it,
	// a media app's input callback drops it.
	if target, found := ev.Headers.Lookup("Unique-ID"); found {
		if ch := c.sw.liveChannel(target); ch != nil {
			ev.Headers = ev.Headers[:len(ev.Headers)-len(core.Headers)]
			ch.queueEvent(ev, name)
			return ok
		}
	}
	c.sw.publish(ev)
	return ok
}
