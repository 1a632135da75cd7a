package esltest

import (
	"strconv"
	"strings"
)

// maxExpansions bounds what Expansions keeps.
const maxExpansions = 1000

// expandVars is switch_channel_expand_variables_check (switch_channel.c),
// ported line for line: the switch runs it on the data of every
// application it executes. ${var} and $${var} read the channel's variables
// (then its caller profile, then the globals) and expand their values
// again; ${cmd(args)} and ${cmd args} run an api command — recorded, see
// Expansions; "\$" is a literal '$', "\\" a '\', and "\'" disappears. It
// rewrites nothing unless the text holds "${" or one of those escapes.
func (sw *Switch) expandVars(in string, ch *Channel, recur int) string {
	if recur > 100 || in == "" {
		return in
	}
	if !varCheckConst(in) && !hasEscapedData(in) {
		return in
	}
	p := []byte(in + "\x00") // indup, rewritten in place as the C code does
	end := len(in)           // endof_indup
	at := func(i int) byte {
		if i < 0 || i >= len(p) {
			return 0
		}
		return p[i]
	}
	cstr := func(i int) string { // the NUL-terminated string at i
		j := i
		for j < len(p) && p[j] != 0 {
			j++
		}
		return string(p[i:j])
	}
	var out []byte
	nv := false
	for i := 0; i < end && p[i] != 0; i++ {
		global := false
		vtype := 0
		if p[i] == '\\' {
			switch at(i + 1) {
			case '$':
				nv = true
				i++
				if at(i+1) == '$' {
					i++
				}
			case '\'':
				i++
				continue
			case '\\':
				out = append(out, p[i])
				i++
				continue
			}
		}
		if p[i] == '$' && !nv {
			if at(i+1) == '$' {
				i++
				global = true
			}
			switch {
			case at(i+1) == '{' && global:
				vtype = 3
			case at(i+1) == '{':
				vtype = 1
			default:
				nv = true
			}
		}
		if nv {
			out = append(out, p[i])
			nv = false
			continue
		}
		if vtype != 0 {
			s := i + 1
			br := 0
			if at(s) == '{' {
				br = 1
				s++
			}
			e, vname := s, s
			for at(e) != 0 {
				if br == 1 && p[e] == '}' {
					br = 0
					p[e] = 0
					e++
					break
				}
				if br > 0 {
					if e != s && p[e] == '{' {
						br++
					} else if br > 1 && p[e] == '}' {
						br--
					}
				}
				e++
			}
			i = min(e, end)
			vval := -1
			for sb := vname; at(sb) != 0; sb++ {
				if p[sb] == ' ' {
					vval = sb
					break
				} else if p[sb] == '(' {
					vval = sb
					br = 1
					break
				}
			}
			if vval >= 0 {
				e = vval - 1
				p[vval] = 0
				vval++
				for e >= 0 && p[e] == ' ' {
					p[e] = 0
					e--
				}
				for e = vval; at(e) != 0; e++ {
					if p[e] == '(' {
						br++
					} else if br > 1 && p[e] == ')' {
						br--
					} else if br == 1 && p[e] == ')' {
						p[e] = 0
						break
					}
				}
				vtype = 2
			}
			if vtype == 2 {
				cmd := sw.expandVars(cstr(vname), ch, recur+1)
				arg := sw.expandVars(cstr(vval), ch, recur+1)
				if v, ok := sw.expansionAPI(ch, cmd, arg); ok {
					out = append(out, v...)
				}
			} else {
				out = append(out, sw.expandVarRef(sw.expandVars(cstr(vname), ch, recur+1), ch, recur)...)
			}
		}
		if at(i) == 0 {
			break // the C string ends here
		}
		if p[i] == '$' {
			i--
		} else {
			out = append(out, p[i])
		}
	}
	return string(out)
}

// expandVarRef is the value of one ${name[:offset[:length]]} reference,
// itself expanded.
func (sw *Switch) expandVarRef(name string, ch *Channel, recur int) string {
	offset, length := 0, 0
	if k := strings.IndexByte(name, ':'); k >= 0 {
		rest := name[k+1:]
		name = name[:k]
		offset = cAtoi(rest)
		if k2 := strings.IndexByte(rest, ':'); k2 >= 0 {
			length = cAtoi(rest[k2+1:])
		}
	}
	if k := strings.IndexByte(name, '['); k >= 0 && strings.IndexByte(name[k:], ']') >= 0 {
		name = name[:k] // arrays are not simulated: the plain value
	}
	v, ok := sw.lookupVar(name, ch)
	if !ok {
		return ""
	}
	v = sw.expandVars(v, ch, recur+1)
	switch {
	case offset > len(v):
		v = ""
	case offset >= 0:
		v = v[offset:]
	case -offset <= len(v):
		v = v[len(v)+offset:]
	}
	if length > 0 && length < len(v) {
		v = v[:length]
	}
	return v
}

// lookupVar is switch_channel_get_variable_dup: the channel's variables,
// its caller profile, then the globals.
func (sw *Switch) lookupVar(name string, ch *Channel) (string, bool) {
	if ch != nil {
		if v, ok := ch.vars.get(name); ok {
			return v, true
		}
		ch.mu.Lock()
		p := ch.prof
		ch.mu.Unlock()
		field := map[string]string{
			"caller_id_name": p.cidName, "caller_id_number": p.cidNum, "destination_number": p.dest,
			"callee_id_name": p.calleeName, "callee_id_number": p.calleeNum,
			"context": p.context, "source": p.source, "uuid": ch.uuid, "chan_name": ch.name,
		}
		if v, ok := field[name]; ok && v != "" {
			return v, true
		}
	}
	return sw.globals.get(name)
}

// expansionAPI runs an api command met in an expansion, as the switch
// does with API expansion on (its default), and records it.
func (sw *Switch) expansionAPI(ch *Channel, cmd, arg string) (string, bool) {
	call := strings.TrimSpace(cmd + " " + arg)
	sw.mu.Lock()
	if len(sw.expansions) < maxExpansions {
		sw.expansions = append(sw.expansions, call)
	}
	sw.mu.Unlock()
	uuid := ""
	if ch != nil {
		uuid = ch.uuid
	}
	sw.log.Warn("variable expansion runs an api command", "command", call, "uuid", uuid)
	out := sw.api(sw.ctx, call)
	if strings.HasSuffix(strings.TrimSpace(out), "Command not found!") {
		return "", false
	}
	return out, true
}

// Expansions returns the api commands that variable expansion of
// application data (${cmd(args)}) ran, oldest first. A test that passes
// text to the switch as data expects none.
func (sw *Switch) Expansions() []string {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return append([]string(nil), sw.expansions...)
}

// varCheckConst is switch_string_var_check_const: "${" with any '\'
// between '$' and '{'.
func varCheckConst(s string) bool {
	dollar := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '$':
			dollar = true
		case dollar && c == '{':
			return true
		case dollar && c != '\\':
			dollar = false
		}
	}
	return false
}

// disableVars is switch_string_var_check(s, SWITCH_TRUE), which
// switch_core_set_variable applies to every global value: the '$' of each
// "${" (a '\' may stand between) becomes '%'.
func disableVars(s string) string {
	b := []byte(s)
	dollar := -1
	for i, c := range b {
		switch {
		case c == '$':
			dollar = i
		case dollar >= 0 && c == '{':
			b[dollar] = '%'
			dollar = -1
		case dollar >= 0 && c != '\\':
			dollar = -1
		}
	}
	return string(b)
}

// hasEscapedData is switch_string_has_escaped_data: a '\' before one of
// \ n s t '.
func hasEscapedData(s string) bool {
	for i := 0; i < len(s)-1; i++ {
		if s[i] == '\\' && strings.IndexByte(`\nst'`, s[i+1]) >= 0 {
			return true
		}
	}
	return false
}

// cAtoi is C's atoi: leading blanks, a sign, digits, and 0 for the rest.
func cAtoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	j := 0
	if j < len(s) && (s[j] == '-' || s[j] == '+') {
		j++
	}
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, _ := strconv.Atoi(s[:j])
	return n
}
