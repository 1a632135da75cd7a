package esl

import "strings"

// urlUnsafe lists the ASCII bytes FreeSWITCH's switch_url_encode escapes besides
// control characters and bytes of 0x7f and above.
const urlUnsafe = " \"#%&+:;<=>?@[\\]^`{|}"

const upperHex = "0123456789ABCDEF"

// URLEncode escapes a header value the way FreeSWITCH does in text/event-plain
// and text/event-xml bodies: %XX (upper-case hex) for control bytes, bytes
// >= 0x7f and the characters in ` "#%&+:;<=>?@[\]^`{|}`.
func URLEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if needsEscape(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if needsEscape(c) {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func needsEscape(c byte) bool {
	return c < 0x20 || c >= 0x7f || strings.IndexByte(urlUnsafe, c) >= 0
}

// URLDecode undoes URLEncode. Like FreeSWITCH's switch_url_decode it turns
// %XX into the byte and '+' into nothing special (a literal '+'); a '%' that
// is not followed by two hex digits is kept as it is, so a value that was
// never encoded ("100%") survives.
func URLDecode(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, hi<<4|lo)
				i += 2
				continue
			}
		}
		b = append(b, c)
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
