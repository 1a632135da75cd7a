package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// scanOrphans looks for calls an earlier fsstar process controlled and left
// behind (after a crash or restart): channels that still carry the
// fsstar_instance marker of another instance that is not alive (its
// heartbeat, see heartbeat, is missing or stale) and are no longer inside
// the socket app. They get the on-error policy over the inbound connection.
// `show channels` lists no variables, so each candidate is asked with
// uuid_getvar. It returns how many orphans it handled.
func (s *Server) scanOrphans(ctx context.Context, c *esl.Client) int {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rows, err := listChannels(ctx, c)
	if err != nil {
		s.log.Warn("orphan scan: "+err.Error(), "error", err)
		return 0
	}
	n := 0
	oe := s.live.Load().onError
	for _, row := range rows {
		id := row.UUID
		inst := getvar(ctx, c, id, instanceVar)
		if inst == "" || inst == s.instance {
			continue
		}
		if getvar(ctx, c, id, "current_application") == "socket" {
			continue // still held by a live socket (another fsstar)
		}
		if instanceAlive(ctx, c, inst) {
			continue // another fsstar serving this switch is running it
		}
		if getvar(ctx, c, id, slotVar) != "" {
			continue // a parked call: the park sweep takes it over
		}
		if !takeoverOnce(ctx, c, id, s.instance) {
			continue // another instance starting at the same time has it
		}
		log := s.log.With("uuid", id, "module", getvar(ctx, c, id, s.Config().AppVariable), "previous_instance", inst)
		var err error
		if oe.Action == "transfer" {
			c.API(ctx, "uuid_setvar "+id+" "+instanceVar)
			_, err = c.API(ctx, "uuid_transfer "+id+" "+oe.Target)
		} else {
			_, err = c.API(ctx, "uuid_kill "+id+" "+oe.Cause)
		}
		if err != nil {
			log.Warn("orphaned call: on-error action failed", "action", oe.Action, "error", err)
			continue
		}
		n++
		s.metrics.orphans.WithLabelValues(oe.Action).Inc()
		log.Warn("orphaned call from an earlier fsstar: on-error applied", "action", oe.Action)
	}
	if n > 0 {
		s.log.Info("orphan scan done", "orphans", n)
	}
	return n
}

func getvar(ctx context.Context, c *esl.Client, id, name string) string {
	v, err := c.API(ctx, "uuid_getvar "+id+" "+name)
	if err != nil {
		return ""
	}
	v = strings.TrimSpace(v)
	if v == "_undef_" || strings.HasPrefix(v, "-ERR") {
		return ""
	}
	return v
}

// takeoverOnce claims the takeover of a call (mod_hash insert_ifempty), so
// that of several instances looking at the same orphan only one acts. A
// switch without mod_hash cannot arbitrate: then every instance acts.
func takeoverOnce(ctx context.Context, c *esl.Client, id, instance string) bool {
	out, err := c.API(ctx, "hash insert_ifempty/"+claimRealm+"/"+takeoverPrefix+id+"/"+instance)
	if err == nil && strings.HasPrefix(out, "+OK") {
		return true
	}
	return esl.IsCommandNotFound(err)
}

// channelRow is one row of `show channels as json`: the columns fsstar reads.
type channelRow struct {
	UUID        string `json:"uuid"`
	Application string `json:"application"`
	Created     string `json:"created_epoch"`
}

// listChannels reads the switch's channels (`show channels as json`, from
// the core's database: a channel only just created may be missing).
func listChannels(ctx context.Context, c *esl.Client) ([]channelRow, error) {
	out, err := c.API(ctx, "show channels as json")
	if err != nil {
		return nil, fmt.Errorf("show channels: %w", err)
	}
	var list struct {
		Rows []channelRow `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return nil, fmt.Errorf("cannot read show channels: %w", err)
	}
	return list.Rows, nil
}
