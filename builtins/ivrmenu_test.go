package builtins

import (
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// TestIVRMenu runs a menu as mod_lua's IVRMenu does (switch_ivr_menu_execute):
// a key during the greeting breaks it, an exact bind and a /regex/ bind
// run their app (with $1), a key bound to nothing plays the invalid
// sound, menu-sub enters a submenu and menu-back leaves it, menu-exit
// ends the menu with the exit sound.
func TestIVRMenu(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    main = freeswitch.IVRMenu(None, "main", "tone_stream://%(1000,0,440)", "tone_stream://%(500,0,440)",
        "tone_stream://%(100,0,300)", "tone_stream://%(100,0,200)", None, None, None, None, None,
        0, 500, 1, 3000, 3, 3)
    sub = freeswitch.IVRMenu(main, "sub", "tone_stream://%(800,0,600)", None, None, None, None, None, None, None, None,
        0, 500, 1, 3000, 3, 3)
    main.bindAction("menu-exec-app", "set ivr_choice=one", "1")
    main.bindAction("menu-exec-app", "set ivr_re=got$1", "/^([3-5])$/")
    main.bindAction("menu-sub", "sub", "2")
    main.bindAction("menu-exit", "", "9")
    main.bindAction("no-such-action", "", "8")  # logged and ignored, as mod_lua
    sub.bindAction("menu-exec-app", "set ivr_sub=zero", "0")
    sub.bindAction("menu-back", "", "*")
    # One key into each of the menu's reads, 300 ms into it on the
    # channel's app clock: never in the 100 ms invalid sound, which eats
    # the keys pressed during it, nor in a read that already has its
    # digit, however the script's round trips and a busy machine stretch
    # the time between the reads.
    sim.dtmf("1472*09", 300, during = "read", each = True)
    main.execute(session, "main")
    return [sim.var("ivr_choice"), sim.var("ivr_re"), sim.var("ivr_sub"), sim.var("ivr_menu_status"), session.ready()]
`, nil)
	c.check(t, `["one", "got4", "", "success", True]`)
	got := strings.Join(appList(c.ch), "\n")
	for _, want := range []string{
		"read 1 1 'tone_stream://%(1000,0,440)' fsstar_digits 3000 # 500", // the greeting
		"set ivr_choice=one",
		"read 1 1 'tone_stream://%(500,0,440)' fsstar_digits 3000 # 500", // the short greeting after
		"set ivr_re=got4",
		"playback tone_stream://%(100,0,300)", // "7": invalid
		"read 1 1 'tone_stream://%(800,0,600)' fsstar_digits 3000 # 500",
		"playback tone_stream://%(100,0,200)", // the exit sound
	} {
		if !strings.Contains(got, want) {
			t.Errorf("apps lack %q:\n%s", want, got)
		}
	}
	// "*" left the submenu before "0" was read there: "0" reached main,
	// where nothing binds it; "9" ended the menu.
	if strings.Contains(got, "ivr_sub") {
		t.Errorf("the submenu ran its 0 binding after menu-back:\n%s", got)
	}
}

// TestIVRMenuTimeouts: no key at all ends the menu after max_timeouts
// greetings with ivr_menu_status "timeout"; wrong keys after max_failures
// with "failure".
func TestIVRMenuTimeouts(t *testing.T) {
	r := newRig(t)
	c := r.call(`
def handler(session, args):
    session.answer()
    m = freeswitch.IVRMenu(None, "m", "silence_stream://10", None, None, None, None, None, None, None, None,
        0, 0, 1, 5000, 2, 2)
    m.bindAction("menu-exit", "", "9")
    m.execute(session, "m")
    out = [sim.var("ivr_menu_status")]
    # Two wrong keys, one into each of the next two greetings' reads (a
    # key that comes while a read that has its digit ends is lost, as on
    # the switch).
    sim.dtmf("55", 50, during = "read", each = True)
    m.execute(session, "m")
    out.append(sim.var("ivr_menu_status"))
    m.execute(session, "nothing")  # an unknown menu: logged, nothing runs
    return out
`, nil)
	c.check(t, `["timeout", "failure"]`)
	reads := strings.Count(strings.Join(appList(c.ch), "\n"), "read 1 1 silence_stream://10")
	if reads != 4 {
		t.Errorf("%d greetings, want 2 timeouts + 2 failures:\n%s", reads, strings.Join(appList(c.ch), "\n"))
	}
}

// TestIVRMenuFrozen: a menu made while its module loads can be run by
// every call but not bound any more.
func TestIVRMenuFrozen(t *testing.T) {
	m, err := newIVRMenu(&starlark.Thread{}, starlark.NewBuiltin("freeswitch.IVRMenu", nil), starlark.Tuple{starlark.None, starlark.String("x")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Freeze()
	bind, _ := m.(*IVRMenu).Attr("bindAction")
	if _, err := callValue(bind, "menu-exit", "", "9"); err == nil || !strings.Contains(err.Error(), "frozen") {
		t.Fatalf("bindAction on a frozen menu: %v", err)
	}
}
