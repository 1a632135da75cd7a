package esltest

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// hashStore is mod_hash's "db" store: values by realm and key, changed
// atomically by the hash api (insert_ifempty and delete_ifmatch are the
// compare-and-set that fsstar's park mode claims calls with).
type hashStore struct {
	mu sync.Mutex
	m  map[string]string // "realm_key" → value, as mod_hash keys them
}

// hashAPI implements "hash insert|insert_ifempty|select|delete|delete_ifmatch/realm/key[/value]"
// with mod_hash.c's replies.
func (h *hashStore) hashAPI(arg string) string {
	const usage = "-ERR Usage: hash insert|insert_ifempty|select|delete|delete_ifmatch/realm/key[/value]\n"
	a := strings.SplitN(arg, "/", 4)
	if len(a) < 3 {
		return usage
	}
	key := a[1] + "_" + a[2]
	val := ""
	if len(a) == 4 {
		val = a[3]
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]string{}
	}
	cur, exists := h.m[key]
	switch strings.ToLower(a[0]) {
	case "insert":
		if len(a) < 4 {
			return usage
		}
		h.m[key] = val
		return "+OK\n"
	case "insert_ifempty":
		if len(a) < 4 {
			return usage
		}
		if exists {
			return "-ERR key already exists\n"
		}
		h.m[key] = val
		return "+OK\n"
	case "delete":
		if !exists {
			return "-ERR Not found\n"
		}
		delete(h.m, key)
		return "+OK\n"
	case "delete_ifmatch":
		if len(a) < 4 {
			return usage
		}
		if !exists {
			return "-ERR Not found\n"
		}
		if cur != val {
			return "-ERR Doesn't match\n"
		}
		delete(h.m, key)
		return "+OK\n"
	case "select":
		if !exists || cur == "" {
			return "-ERR no reply\n"
		}
		return cur
	}
	return usage
}

// dump implements "hash_dump db [<realm>]": "D/<realm>_<key>/<value>" lines.
func (h *hashStore) dump(realm string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := make([]string, 0, len(h.m))
	for k := range h.m {
		if realm == "" || strings.HasPrefix(k, realm+"_") {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "-ERR no reply\n"
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "D/%s/%s\n", k, h.m[k])
	}
	return b.String()
}

// HashValue returns a mod_hash value ("" when unset), for tests.
func (sw *Switch) HashValue(realm, key string) string {
	sw.hash.mu.Lock()
	defer sw.hash.mu.Unlock()
	return sw.hash.m[realm+"_"+key]
}

// hashDumpAPI parses "hash_dump all|limit|db [<realm>]".
func (sw *Switch) hashDumpAPI(arg string) string {
	what, realm, _ := strings.Cut(strings.TrimSpace(arg), " ")
	switch what {
	case "db", "all":
		return sw.hash.dump(strings.TrimSpace(realm))
	case "limit":
		return "-ERR no reply\n"
	}
	return "-ERR Usage: all|limit|db [<realm>]\n"
}

// schedTasks are the switch scheduler's tasks that a channel app set
// (sched_hangup, sched_transfer): grouped by the channel's uuid, so that
// "sched_del <uuid>" cancels them.
type schedTasks struct {
	mu     sync.Mutex
	nextID int
	groups map[string]map[int]*time.Timer
}

func (s *schedTasks) add(group string, d time.Duration, f func()) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = map[string]map[int]*time.Timer{}
	}
	s.nextID++
	id := s.nextID
	if s.groups[group] == nil {
		s.groups[group] = map[int]*time.Timer{}
	}
	s.groups[group][id] = time.AfterFunc(d, func() {
		s.mu.Lock()
		_, live := s.groups[group][id]
		delete(s.groups[group], id)
		s.mu.Unlock()
		if live {
			f()
		}
	})
	return id
}

// del implements "sched_del <task_id>|<group>": "+OK Deleted: <n>".
func (s *schedTasks) del(arg string) string {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return "-ERR Invalid syntax. USAGE: sched_del <task_id>|<group_id>\n"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if id, err := strconv.Atoi(arg); err == nil {
		for _, g := range s.groups {
			if t, ok := g[id]; ok {
				t.Stop()
				delete(g, id)
				n++
			}
		}
	} else {
		for id, t := range s.groups[arg] {
			t.Stop()
			delete(s.groups[arg], id)
			n++
		}
	}
	return fmt.Sprintf("+OK Deleted: %d\n", n)
}

// schedWhen parses the time of sched_hangup / sched_transfer: "+<secs>"
// from now, or an epoch time.
func schedWhen(s string) time.Duration {
	if rel, ok := strings.CutPrefix(s, "+"); ok {
		n, _ := strconv.Atoi(rel)
		return time.Duration(max(n, 0)) * time.Second
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return max(time.Until(time.Unix(n, 0)), 0)
}

// appSchedHangup is mod_dptools' sched_hangup: "+<secs> [<cause>]".
func appSchedHangup(_ context.Context, ch *Channel, arg string) string {
	f := strings.Fields(arg)
	if len(f) == 0 {
		return ""
	}
	cause := "ALLOTTED_TIMEOUT"
	if len(f) > 1 {
		cause = f[1]
	}
	ch.sw.sched.add(ch.uuid, ch.sw.scaled(schedWhen(f[0])), func() { ch.Hangup(cause) })
	return ""
}

// appSchedTransfer is mod_dptools' sched_transfer: "+<secs> <ext> [<dialplan> <context>]".
func appSchedTransfer(_ context.Context, ch *Channel, arg string) string {
	f := strings.Fields(arg)
	if len(f) < 2 {
		return ""
	}
	f = append(f, "", "")
	id := ch.sw.sched.add(ch.uuid, ch.sw.scaled(schedWhen(f[0])), func() { ch.sessionTransfer(f[1], f[2], f[3]) })
	ch.vars.set("last_sched_id", strconv.Itoa(id)) // as mod_dptools' sched_transfer (sched_hangup sets none)
	return ""
}
