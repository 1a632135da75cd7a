package http

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// ParamAllowHosts is the configuration param that lists the hosts scripts
// may reach; errors about a refused host name it.
const ParamAllowHosts = "http-allow-hosts"

// AllowList is a parsed http-allow-hosts value. The zero AllowList allows
// nothing.
type AllowList struct {
	entries []allowEntry
}

// allowEntry is one entry: an exact host, a suffix (*.example.com) or any
// host (*), with a port or any port ("").
type allowEntry struct {
	host     string // lower case; ".example.com" for a wildcard; "" for *
	port     string // "" = any port
	wildcard bool
	text     string // as written, for messages
}

// ParseAllowList parses http-allow-hosts values; each value may hold several
// entries separated by commas or blanks. An entry is `host`, `host:port`,
// `[v6addr]:port`, `*.domain` or `*`, optionally with `:port`.
func ParseAllowList(values ...string) (AllowList, error) {
	var a AllowList
	for _, v := range values {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
			e, err := parseAllowEntry(f)
			if err != nil {
				return AllowList{}, err
			}
			a.entries = append(a.entries, e)
		}
	}
	return a, nil
}

func parseAllowEntry(s string) (allowEntry, error) {
	e := allowEntry{text: s}
	if strings.Contains(s, "/") {
		return e, fmt.Errorf("%s entry %q: want host, host:port or *.domain, not a URL", ParamAllowHosts, s)
	}
	host, port := strings.ToLower(s), ""
	switch {
	case strings.HasPrefix(host, "["):
		h, p, err := net.SplitHostPort(host)
		if err != nil {
			if !strings.HasSuffix(host, "]") {
				return e, fmt.Errorf("%s entry %q: %v", ParamAllowHosts, s, err)
			}
			h = strings.Trim(host, "[]")
		}
		host, port = h, p
	case strings.Count(host, ":") == 1:
		h, p, err := net.SplitHostPort(host)
		if err != nil {
			return e, fmt.Errorf("%s entry %q: %v", ParamAllowHosts, s, err)
		}
		host, port = h, p
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return e, fmt.Errorf("%s entry %q: port %q is not a number from 1 to 65535", ParamAllowHosts, s, port)
		}
	}
	switch {
	case host == "*":
		e.wildcard = true
	case strings.HasPrefix(host, "*."):
		e.wildcard, host = true, host[1:]
		if !validName(host[1:]) {
			return e, fmt.Errorf("%s entry %q: %q is not a host name", ParamAllowHosts, s, host[1:])
		}
		e.host = host
	case strings.Contains(host, "*"):
		return e, fmt.Errorf("%s entry %q: a wildcard is only `*` or a leading `*.`", ParamAllowHosts, s)
	default:
		if ip, err := netip.ParseAddr(host); err == nil {
			host = ip.Unmap().String()
		} else if !validName(host) {
			return e, fmt.Errorf("%s entry %q: %q is not a host name or an IP address", ParamAllowHosts, s, host)
		}
		e.host = host
	}
	e.port = port
	return e, nil
}

// validName reports whether s looks like a DNS name (letters, digits, -,
// _ and dots, no empty label).
func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9')) {
				return false
			}
		}
	}
	return true
}

// Len is the number of entries.
func (a AllowList) Len() int { return len(a.entries) }

// String lists the entries as written, comma-separated.
func (a AllowList) String() string {
	s := make([]string, len(a.entries))
	for i, e := range a.entries {
		s[i] = e.text
	}
	return strings.Join(s, ",")
}

// match reports whether host:port is allowed, and whether an entry names
// the host exactly (exact entries may reach loopback and link-local
// addresses; wildcard ones may not). host is lower case, without brackets.
func (a AllowList) match(host, port string) (allowed, exact bool) {
	host = normHost(host)
	for _, e := range a.entries {
		if e.port != "" && e.port != port {
			continue
		}
		switch {
		case !e.wildcard:
			if e.host == host {
				return true, true
			}
		case e.host == "" || strings.HasSuffix(host, e.host):
			allowed = true
		}
	}
	return allowed, false
}

// normHost lower-cases a host and writes an IP address in its canonical
// form (an IPv4-mapped IPv6 address as IPv4), so that 127.000.0.1 spelled
// otherwise cannot slip past an exact entry or into one.
func normHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.Unmap().String()
	}
	return h
}

// internal reports whether ip is one that a wildcard entry must not reach:
// loopback, link-local (unicast and multicast) or unspecified.
func internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsUnspecified()
}
