// Package re is the `re` module of fsstar scripts: regular expressions with
// RE2 syntax and guarantees (Go's regexp: time linear in the input, no
// backtracking), in the shape of Python's re module.
//
//	def compile(pattern):             a Pattern (methods below, without the pattern argument)
//	def match(pattern, string):       a Match at the start of string, or None
//	def fullmatch(pattern, string):   a Match of the whole string, or None
//	def search(pattern, string):      the leftmost Match anywhere in string, or None
//	def findall(pattern, string):     every non-overlapping match: a list of strings
//	                                  (no group: the match; one group: that group),
//	                                  or of tuples (several groups); "" for a group
//	                                  that did not take part
//	def sub(pattern, repl, string, count=0):
//	                                  string with the first count (0: every) matches
//	                                  replaced by repl: a string in which \1 .. \99,
//	                                  \g<1> and \g<name> are groups ("" when one did
//	                                  not take part), \\ a backslash and \n \t \r
//	                                  their characters; or a function called with
//	                                  the Match that returns the replacement string
//	def split(pattern, string, maxsplit=0):
//	                                  string split around the matches (at most
//	                                  maxsplit splits, 0: all); the text of the
//	                                  groups, None when one did not take part, is
//	                                  put between the pieces as in Python
//	def escape(string):               string with every regexp metacharacter escaped
//
// A Match (m) has:
//
//	m.group(g=0, *more)   the text of group g (a number or a name), None when the
//	                      group did not take part; several groups give a tuple
//	m.groups(default=None)        a tuple of every group, default for one that did
//	                              not take part
//	m.groupdict(default=None)     a dict of the named groups
//	m.start(g=0), m.end(g=0)      byte offsets of group g (-1 when it did not take part)
//	m.span(g=0)                   (start, end)
//	m.string, m.pattern           the input and the pattern text
//	m.lastindex                   the number of the last group that took part, or None
//
// Strings are Starlark str (byte strings: offsets are in bytes); bytes are
// refused. Patterns are compiled once per distinct text: each server's
// module keeps the most recently used ones (Options.CacheSize), so a pattern
// written inline in a handler costs a map lookup after its first call.
// Pattern and input sizes are bounded (Options.MaxPattern, Options.MaxInput):
// past them the call fails naming the limit.
//
// Differences from PCRE (FreeSWITCH's dialplan `expression=`): no
// backreferences inside a pattern (\1 in a pattern is an error), no lookahead
// or lookbehind ((?=...), (?!...), (?<=...), (?<!...)), no possessive
// quantifiers or atomic groups, no \Z (use \z); named groups are (?P<name>...)
// or (?<name>...). In a replacement the dialplan's $1 is \1 here (and a $ is
// a plain character). Flags are written inline: (?i) case-insensitive, (?m)
// multi-line ^ and $, (?s) dot matches a line break. Write patterns and
// replacements as raw strings (r"^\+?(\d+)$", r"\1"): in a plain Starlark
// string "\1" is the byte 0x01 and "\d" an error.
//
// Empty matches follow Go: an empty match right after a previous match is
// skipped (re.sub("x*", "-", "abxd") is "-a-b-d-", Python 3.7 gives
// "-a-b--d-").
package re
