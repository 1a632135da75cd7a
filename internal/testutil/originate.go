package testutil

import (
	"fmt"
	"strings"
)

// InlineApp is the application part of an originate api command that sends
// the new channel into the inline dialplan apps (comma-separated, or with
// the inline dialplan's `m:<sep>:` prefix), in dialplan context ctx when ctx
// is not "": `'&transfer(\'<apps>\' inline [ctx])'`. The real-switch tests
// and the benchmark harness place their inline-dialplan calls with it.
//
// Not `originate <dial> '<apps>' inline`: there the api thread transfers
// the a-leg into the apps from outside while the a-leg's own thread may
// still be routing it, and the switch loses such calls (about 1 in 3,000 to
// 4,000 on the test switch; every kind of test and benchmark lost some,
// with or without fsstar). Either the a-leg's thread had run CS_ROUTING and
// the originate set CS_CONSUME_MEDIA, and the far end answered so fast that
// the transfer set CS_ROUTING back before the thread looked again: the state
// equals the one it last ran, so it sleeps, and the channel stays answered in
// CS_ROUTING with no app ever run. Or the thread ran CS_ROUTING only after
// the originate returned, and its own routing of the loopback destination
// overwrote the transfer: the a-leg runs the far end's extension (answer,
// park) without the apps.
//
// `&transfer(...)` sets CS_EXECUTE, a state the thread has not run, so the
// first flavour cannot happen, and the transfer into the apps is made by the
// channel's own thread (0 lost in 20,000 calls against 5 with the old form).
// The second flavour's window (a far end answering while the a-leg's thread
// has not yet routed it) is not closed for certain.
//
// The transfer app expands its data once before the inline dialplan sees
// it, which the old form did not: every `$` is sent as `\$`, so each app's
// data is still expanded only when that app runs (`set:b=${a}` reads a at
// that point, as in the old form). The originate takes the app's argument up
// to its first ')', and the api's and the transfer's argument splitting strip
// quotes and backslashes, so apps holding a quote, a parenthesis or a
// backslash are refused: pass such values in a channel variable of the dial
// string's {...} and name it in the apps.
func InlineApp(apps, ctx string) (string, error) {
	if apps == "" {
		return "", fmt.Errorf("inline apps: none given")
	}
	for _, s := range []string{apps, ctx} {
		if strings.ContainsAny(s, `'()\`) {
			return "", fmt.Errorf("inline apps %q (context %q): a quote, a parenthesis or a backslash, which &transfer(...) cannot carry", apps, ctx)
		}
	}
	if strings.ContainsAny(ctx, " $") {
		return "", fmt.Errorf("inline apps: context %q holds a space or a $", ctx)
	}
	arg := `\'` + strings.ReplaceAll(apps, "$", `\$`) + `\' inline`
	if ctx != "" {
		arg += " " + ctx
	}
	return `'&transfer(` + arg + `)'`, nil
}

// OriginateInline is the originate api command (for api or bgapi) that
// places a call to dial, whose new channel runs the inline dialplan apps:
// see InlineApp.
func OriginateInline(dial, apps string) (string, error) {
	app, err := InlineApp(apps, "")
	if err != nil {
		return "", fmt.Errorf("originate %s: %w", dial, err)
	}
	return "originate " + dial + " " + app, nil
}
