package esl

import "strings"

// Header is one "Name: Value" line of a frame or an event, with its value decoded.
type Header struct {
	Name  string
	Value string
}

// Headers is an ordered list of headers. FreeSWITCH does not fix the order of
// headers and may repeat a name (CHANNEL_HANGUP_COMPLETE carries Hangup-Cause
// twice) or send two names that differ only by case, so Headers keeps every
// line as it came. Look values up by name, never by position.
type Headers []Header

// Get returns the value of the first header called name. An exact match wins;
// failing that, the first case-insensitive match is returned. The empty string
// means the header is absent or empty; use Lookup to tell them apart.
func (h Headers) Get(name string) string {
	v, _ := h.Lookup(name)
	return v
}

// Lookup is like Get but also reports whether the header is present.
func (h Headers) Lookup(name string) (string, bool) {
	for i := range h {
		if h[i].Name == name {
			return h[i].Value, true
		}
	}
	for i := range h {
		if strings.EqualFold(h[i].Name, name) {
			return h[i].Value, true
		}
	}
	return "", false
}

// Values returns the values of every header called name (exact match), in order.
func (h Headers) Values(name string) []string {
	var out []string
	for i := range h {
		if h[i].Name == name {
			out = append(out, h[i].Value)
		}
	}
	return out
}

// Add appends a header, keeping any earlier header of the same name.
func (h *Headers) Add(name, value string) {
	*h = append(*h, Header{Name: name, Value: value})
}

// Set replaces the value of the first header called name (exact match) and
// removes later ones of that name; it appends the header if there is none.
func (h *Headers) Set(name, value string) {
	found := false
	out := (*h)[:0]
	for _, x := range *h {
		if x.Name == name {
			if found {
				continue
			}
			x.Value = value
			found = true
		}
		out = append(out, x)
	}
	*h = out
	if !found {
		h.Add(name, value)
	}
}

// Del removes every header called name (exact match).
func (h *Headers) Del(name string) {
	out := (*h)[:0]
	for _, x := range *h {
		if x.Name != name {
			out = append(out, x)
		}
	}
	*h = out
}

// arrayPrefix starts a FreeSWITCH multi-value header ("ARRAY::a|:b|:c").
const arrayPrefix = "ARRAY::"

// SplitArray splits a FreeSWITCH array value ("ARRAY::a|:b") into its items.
// A value without the ARRAY:: prefix is returned as a single item.
func SplitArray(value string) []string {
	rest, ok := strings.CutPrefix(value, arrayPrefix)
	if !ok {
		return []string{value}
	}
	return strings.Split(rest, "|:")
}

// JoinArray builds a FreeSWITCH array value from its items; one item is
// returned as it is, without the ARRAY:: prefix.
func JoinArray(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return arrayPrefix + strings.Join(items, "|:")
}
