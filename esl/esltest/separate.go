package esltest

import "bytes"

// SeparateString returns the arguments the switch reads from buf where an
// application or api command splits its data with switch_separate_string:
// on delim (' ' for runs of blanks), at most n, quotes removed and escapes
// read. Tests use it to read back, from a real switch's Application-Data,
// what the application received.
func SeparateString(buf string, delim byte, n int) []string { return separateString(buf, delim, n) }

// separateString is switch_separate_string (switch_utils.c), ported line
// for line: it splits buf on delim (' ' splits on runs of blanks) into at
// most n arguments, the last one taking the rest; single quotes protect
// blanks and delimiters and are removed; \n \r \t \s and \\ \' \" and
// \<delim> are unescaped; blanks around an argument are trimmed. A buf
// starting "^^X" is split on X instead.
func separateString(buf string, delim byte, n int) []string {
	if buf == "" || n <= 0 {
		return nil
	}
	b := []byte(buf)
	if len(b) > 3 && b[0] == '^' && b[1] == '^' {
		delim = b[2]
		b = b[3:]
	}
	var starts []int
	if delim == ' ' {
		starts = splitBlank(b, n)
	} else {
		starts = splitChar(b, delim, n)
	}
	cleanDelim := delim
	if delim == ' ' {
		cleanDelim = 0
	}
	out := make([]string, len(starts))
	for i, s := range starts {
		tok := b[s:]
		if j := bytes.IndexByte(tok, 0); j >= 0 {
			tok = tok[:j]
		}
		out[i] = cleanupSeparated(tok, cleanDelim)
	}
	return out
}

// splitBlank is separate_string_blank_delim: it writes a NUL at each
// separating blank and returns where the arguments start.
func splitBlank(b []byte, n int) []int {
	const (
		start = iota
		skipInitial
		findDelim
		skipEnding
	)
	var starts []int
	state, inQuotes := start, false
	for p := 0; p < len(b) && b[p] != 0 && len(starts) < n; {
		switch state {
		case start:
			starts = append(starts, p)
			state = skipInitial
		case skipInitial:
			if b[p] == ' ' {
				p++
			} else {
				state = findDelim
			}
		case findDelim:
			switch {
			case b[p] == '\\':
				p++
			case b[p] == '\'':
				inQuotes = !inQuotes
			case b[p] == ' ' && !inQuotes:
				b[p] = 0
				state = skipEnding
			}
			p++
		case skipEnding:
			if b[p] == ' ' {
				p++
			} else {
				state = start
			}
		}
	}
	return starts
}

// splitChar is separate_string_char_delim.
func splitChar(b []byte, delim byte, n int) []int {
	var starts []int
	findDelim, inQuotes := false, false
	for p := 0; p < len(b) && b[p] != 0 && len(starts) < n; {
		if !findDelim {
			starts = append(starts, p)
			findDelim = true
			continue
		}
		switch {
		case b[p] == '\\':
			p++
		case b[p] == '\'' && (inQuotes || bytes.IndexByte(cTail(b, p+1), '\'') >= 0):
			inQuotes = !inQuotes
		case b[p] == delim && !inQuotes:
			b[p] = 0
			findDelim = false
		}
		p++
	}
	return starts
}

// cTail is the NUL-terminated string of b at i.
func cTail(b []byte, i int) []byte {
	if i >= len(b) {
		return nil
	}
	t := b[i:]
	if j := bytes.IndexByte(t, 0); j >= 0 {
		t = t[:j]
	}
	return t
}

// cleanupSeparated is cleanup_separated_string: it removes quotes, leading
// and trailing blanks, and unescapes.
func cleanupSeparated(tok []byte, delim byte) string {
	p := 0
	for p < len(tok) && tok[p] == ' ' {
		p++
	}
	var dest []byte
	end := -1
	inQuotes := false
	for ; p < len(tok); p++ {
		escaped := false
		if tok[p] == '\\' {
			var e byte
			if p+1 < len(tok) {
				e = tok[p+1]
			}
			if e == '\'' || e == '"' || (delim != 0 && e == delim) || e == '\\' || unescapeChar(e) != e {
				p++
				dest = append(dest, unescapeChar(e))
				end = len(dest)
				escaped = true
			}
		}
		if escaped {
			continue
		}
		if tok[p] == '\'' && (inQuotes || bytes.IndexByte(tok[p+1:], '\'') >= 0) {
			if inQuotes = !inQuotes; inQuotes {
				end = len(dest)
			}
			continue
		}
		dest = append(dest, tok[p])
		if tok[p] != ' ' || inQuotes {
			end = len(dest)
		}
	}
	if end >= 0 {
		dest = dest[:end]
	}
	return string(dest)
}

// unescapeChar is unescape_char: n r t s become line feed, carriage
// return, tab and blank; any other character stays.
func unescapeChar(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 's':
		return ' '
	}
	return c
}
