package tests

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestParkMatchesLuaFreeSWITCH runs the differential suite with fsstar in
// park mode: each scenario's call is parked by its dialplan (the a-leg's
// inline `set:<app variable>=diff.<name>,park`) and fsstar drives it over
// inbound ESL. Scripts cannot tell the modes apart, so every scenario must
// match mod_lua exactly as it does through the socket (the same known
// differences apply).
func TestParkMatchesLuaFreeSWITCH(t *testing.T) {
	addr, pw := realSwitch(t)
	luaDir, err := os.MkdirTemp("", "fsstar-diff-lua")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(luaDir) })
	os.Chmod(luaDir, 0o755)
	// Its own app variable: the far end's b-leg inherits fsstar_app
	// (loopback copies the originate's variables) and parks; it is not a
	// call for fsstar.
	s := startService(t, addr, pw, "-park", "-app-variable", parkAppVar)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	c := dialSwitch(ctx, t, addr, pw)
	if err := c.Subscribe(ctx, "CHANNEL_HANGUP_COMPLETE", "PLAYBACK_START", "PLAYBACK_STOP", "CUSTOM diff::mark diff::out"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(s.scripts, "diff"), 0o755); err != nil {
		t.Fatal(err)
	}
	strict := os.Getenv("FSSTAR_DIFF_STRICT") == "1"
	same, ran := 0, 0
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ran++
			luaFile := filepath.Join(luaDir, sc.name+".lua")
			if err := os.WriteFile(luaFile, []byte(luaPrelude+sc.lua), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(s.scripts, "diff", sc.name+".star"), []byte(starPrelude+sc.star), 0o644); err != nil {
				t.Fatal(err)
			}
			lua := runScenario(ctx, t, c, sc, "lua", "&lua("+luaFile+")")
			park := runScenario(ctx, t, c, sc, "star", "'set:"+parkAppVar+"=diff."+sc.name+",park' inline fsstar_test")
			diff := compareObs(lua, park)
			switch {
			case diff == "":
				same++
			case sc.known != "" && !strict:
				t.Logf("known difference (%s):\n%s", sc.known, diff)
			default:
				t.Errorf("mod_lua and fsstar in park mode differ:\n%s", diff)
			}
		})
	}
	t.Logf("differential suite in park mode: %d scenarios, %d same as mod_lua", ran, same)
}
