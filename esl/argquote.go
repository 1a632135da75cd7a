package esl

import "strings"

// The switch re-reads the data of every application it executes, and many
// api commands re-read their arguments, in two steps:
//
//  1. switch_channel_expand_variables (for application data, always; see
//     switch_core_session_exec): "${var}", "$${global}" and
//     "${api(args)}" / "${api args}" are evaluated — the last one runs an
//     api command, such as system, on the switch host. It runs only when
//     the text holds "${" (a '\' may stand between '$' and '{') or one of
//     the escapes \\ \n \s \t \'; when it runs, "\$" is a literal '$',
//     "\\" a literal '\', and "\'" disappears.
//  2. switch_separate_string, for the many applications and api commands
//     that take several arguments: it splits on blanks (or on ',', '|',
//     '='), removes paired single quotes (which protect blanks and
//     delimiters), turns \n \r \t \s into line feed, carriage return, tab
//     and blank, "\\", "\'", "\"" and "\<delimiter>" into the character,
//     and trims blanks around each argument.
//
// EscapeVars undoes step 1 and QuoteArg step 2, so text a script passes
// arrives at the application byte for byte and is never evaluated.

// EscapeVars returns s written so that the switch's variable expansion
// gives back exactly s: nothing in s is evaluated. Text that the expansion
// would leave alone is returned as it is.
//
// Use it on the whole data of an application run with sendmsg execute, and
// on a value that the application expands once more (the set app's value).
func EscapeVars(s string) string {
	if !expansionRuns(s) {
		return s
	}
	return escapeVars(s)
}

// EscapeVarsPart returns s written so that, spliced anywhere into data
// that the switch expands, it reads back as exactly s while the rest of the
// data is expanded as usual. Unlike EscapeVars it always makes the
// expansion run when s holds a '$' or a '\' (the empty escape "\'" is
// added), so it is also right when the rest of the data would not have
// made it run.
func EscapeVarsPart(s string) string {
	if !strings.ContainsAny(s, `$\`) {
		return s
	}
	return escapeVars(s) + `\'`
}

func escapeVars(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' || s[i] == '$' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// expansionRuns reports whether switch_channel_expand_variables would
// rewrite s at all: switch_string_var_check_const(s) ||
// switch_string_has_escaped_data(s).
func expansionRuns(s string) bool {
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
	for i := strings.IndexByte(s, '\\'); i >= 0 && i+1 < len(s); {
		switch s[i+1] {
		case '\\', 'n', 's', 't', '\'':
			return true
		}
		j := strings.IndexByte(s[i+1:], '\\')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// QuoteArg returns s as one argument of a list that the switch splits
// with switch_separate_string, on blanks or on any other delimiter: the
// split gives back exactly s — blanks, quotes, backslashes, delimiters and
// line breaks included. A plain word (letters, digits and _ . / : @ + # * %
// -) is returned as it is; anything else is put in single quotes with \\,
// \', \n and \r escapes, so the result holds no line break.
//
// The result still goes through variable expansion when it is part of
// application data: pass the whole data through EscapeVars.
func QuoteArg(s string) string {
	if plainArg(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// plainArg reports whether s needs no quoting in any switch_separate_string
// list: not empty, and only characters that are no delimiter, quote,
// escape, blank or "^^" delimiter prefix.
func plainArg(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("_./:@+#*%-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// QuoteArgs quotes each argument with QuoteArg and joins them with blanks:
// the data of an application or api command that splits on blanks.
func QuoteArgs(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = QuoteArg(a)
	}
	return strings.Join(q, " ")
}
