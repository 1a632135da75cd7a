package builtins

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

// IVRMenu is freeswitch.IVRMenu: a voice menu the script builds
// (switch_ivr_menu_init), binds keys of (bindAction) and runs on a session
// (execute). The switch's own menus live in its XML configuration, which
// ESL cannot add to, so execute runs switch_ivr_menu_execute's loop in
// fsstar, step for step, with the session's apps: each greeting is the
// read app (it plays the sound, a key breaks it, then it collects the
// rest as play_and_collect does), sounds are the playback app, menu-exec-app
// runs the app, and the ivr_menu_status variable and the menu::enter /
// menu::exit events are as the switch's.
//
// A menu made while its module loads is frozen with the module: it can be
// run by every call (execute keeps its state per run) but no longer bound.
type IVRMenu struct {
	stack *[]*IVRMenu // the main menu and its submenus, in the order made
	name  string

	greeting, shortGreeting, invalid, exit, transfer string
	confirmMacro, confirmKey, ttsEngine, ttsVoice    string
	confirmAttempts, interTimeout, digitLen, timeout int
	maxFailures, maxTimeouts                         int
	top                                              bool // made without a main menu
	actions                                          []menuAction
	frozen                                           bool
}

// menuAction is one bindAction.
type menuAction struct {
	action, arg, bind string
	re                *regexp.Regexp // for a bind written /regex/
}

var _ starlark.HasAttrs = (*IVRMenu)(nil)

// menuActions are the actions switch_ivr_menu_str2action knows.
var menuActions = map[string]bool{
	"menu-exit": true, "menu-sub": true, "menu-exec-app": true,
	"menu-play-sound": true, "menu-back": true, "menu-top": true,
}

// newIVRMenu is freeswitch.IVRMenu(main, name, greeting_sound, ...): the
// arguments of mod_lua's constructor, in its order; those after name may be
// left out (None or "" for a sound, 0 for a number: the switch's defaults).
func newIVRMenu(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var main starlark.Value = starlark.None
	var name string
	var strs [9]starlark.Value
	var nums [6]int
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "main", &main, "name", &name,
		"greeting_sound?", &strs[0], "short_greeting_sound?", &strs[1], "invalid_sound?", &strs[2],
		"exit_sound?", &strs[3], "transfer_sound?", &strs[4], "confirm_macro?", &strs[5],
		"confirm_key?", &strs[6], "tts_engine?", &strs[7], "tts_voice?", &strs[8],
		"confirm_attempts?", &nums[0], "inter_timeout?", &nums[1], "digit_len?", &nums[2],
		"timeout?", &nums[3], "max_failures?", &nums[4], "max_timeouts?", &nums[5]); err != nil {
		return nil, err
	}
	var s [9]string
	for i, v := range strs {
		switch v := v.(type) {
		case nil, starlark.NoneType:
		case starlark.String:
			s[i] = string(v)
		default:
			return nil, fmt.Errorf("%s: argument %d: got %s, want a string or None", fn.Name(), i+3, v.Type())
		}
	}
	if name == "" {
		name = "no name" // as IVRMenu::IVRMenu
	}
	m := &IVRMenu{
		name: name, greeting: s[0], shortGreeting: s[1], invalid: s[2], exit: s[3], transfer: s[4],
		confirmMacro: s[5], confirmKey: s[6], ttsEngine: s[7], ttsVoice: s[8],
		confirmAttempts: nums[0], interTimeout: nums[1], digitLen: nums[2], timeout: nums[3],
		maxFailures: nums[4], maxTimeouts: nums[5],
	}
	// The defaults of switch_ivr_menu_init.
	if m.confirmAttempts == 0 {
		m.confirmAttempts = 3
	}
	if m.interTimeout == 0 {
		m.interTimeout = m.timeout / 2
	}
	if m.maxFailures <= 0 {
		m.maxFailures = 3
	}
	if m.maxTimeouts <= 0 {
		m.maxTimeouts = 3
	}
	if m.timeout <= 0 {
		m.timeout = 10000
	}
	switch p := main.(type) {
	case starlark.NoneType:
		m.top = true
		m.stack = &[]*IVRMenu{m}
	case *IVRMenu:
		if p.frozen {
			return nil, fmt.Errorf("%s: main menu %q is frozen (made while its module loaded): make the submenus then too", fn.Name(), p.name)
		}
		*p.stack = append(*p.stack, m)
		m.stack = p.stack
	default:
		return nil, fmt.Errorf("%s: main: got %s, want an IVRMenu or None", fn.Name(), main.Type())
	}
	return m, nil
}

func (m *IVRMenu) String() string        { return fmt.Sprintf("<IVRMenu %s>", m.name) }
func (m *IVRMenu) Type() string          { return "IVRMenu" }
func (m *IVRMenu) Truth() starlark.Bool  { return starlark.True }
func (m *IVRMenu) Hash() (uint32, error) { return 0, errors.New("unhashable type: IVRMenu") }

// Freeze freezes the menu and every menu of its stack.
func (m *IVRMenu) Freeze() {
	for _, x := range *m.stack {
		x.frozen = true
	}
}

// ivrMenuMethods are the Starlark methods of an IVRMenu.
var ivrMenuMethods = methods[*IVRMenu]{
	"bindAction": (*IVRMenu).bindAction,
	"execute":    (*IVRMenu).execute,
}

// Attr returns the method called name (ivrMenuMethods).
func (m *IVRMenu) Attr(name string) (starlark.Value, error) {
	return ivrMenuMethods.attr(m, "IVRMenu", name)
}

// AttrNames lists the methods of ivrMenuMethods.
func (m *IVRMenu) AttrNames() []string { return ivrMenuMethods.names() }

// bindAction(action, arg, bind): as IVRMenu::bindAction, an unknown action
// is logged and ignored; a bind starting with "/" is a regular expression
// (/regex/, its groups $1... in arg); a longer bind makes the menu collect
// more digits.
func (m *IVRMenu) bindAction(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var action, arg, bind string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "action", &action, "arg", &arg, "bind", &bind); err != nil {
		return nil, err
	}
	if m.frozen {
		return nil, fmt.Errorf("%s: menu %q is frozen (made while its module loaded): bind its keys then too", fn.Name(), m.name)
	}
	log := callLogger(thread)
	if !menuActions[action] {
		log.Error("IVRMenu.bindAction: invalid action", "action", action, "menu", m.name)
		return starlark.None, nil
	}
	a := menuAction{action: action, arg: arg, bind: bind}
	if strings.HasPrefix(bind, "/") {
		re, err := menuRegexp(bind)
		if err != nil {
			log.Error("IVRMenu.bindAction: bad regular expression; the binding never matches", "bind", bind, "error", err)
		}
		a.re = re
		if re == nil {
			a.re = regexp.MustCompile(`[^\s\S]`)
		}
	} else if len(bind) > m.digitLen {
		m.digitLen = len(bind)
	}
	m.actions = append(m.actions, a)
	return starlark.None, nil
}

// menuRegexp compiles a "/regex/flags" bind as switch_regex_perform reads
// it (Go's RE2: no back references or look-around).
func menuRegexp(bind string) (*regexp.Regexp, error) {
	expr := bind[1:]
	flags := ""
	if i := strings.LastIndexByte(expr, '/'); i >= 0 {
		expr, flags = expr[:i], expr[i+1:]
	}
	if strings.Contains(flags, "i") {
		expr = "(?i)" + expr
	}
	return regexp.Compile(expr)
}

// callLogger is the logger of the thread's call, or a null one.
func callLogger(thread *starlark.Thread) interface {
	Error(msg string, args ...any)
	Debug(msg string, args ...any)
} {
	if c := CallOf(thread); c != nil && c.Logger != nil {
		return c.Logger
	}
	return nopLogger{}
}

type nopLogger struct{}

func (nopLogger) Error(string, ...any) {}
func (nopLogger) Debug(string, ...any) {}

// menuStatus is a switch_status_t of switch_ivr_menu_execute's loop.
type menuStatus int

const (
	menuSuccess menuStatus = iota
	menuFalse
	menuBreak
	menuTimeout
)

// menuRun is the state of one execute: the menu stack is shared, so
// nothing of a run is kept in the menus.
type menuRun struct {
	s      *Session
	thread *starlark.Thread
	fn     *starlark.Builtin
	stack  []*IVRMenu
	depth  int
	toMain bool
	terms  string // ivr_menu_terminator, else "#"
	// termSet: read_terminator_used may hold a terminator of an earlier
	// read (the read app sets it, never clears it).
	termSet bool
}

// execute(session, name): runs the menu called name of this menu's stack
// on session, until a menu-exit, a menu-back of the first menu, too many
// failures or timeouts, or the channel goes; then None.
func (m *IVRMenu) execute(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var s *Session
	var name string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "session", &s, "name", &name); err != nil {
		return nil, err
	}
	r := &menuRun{s: s, thread: thread, fn: fn, terms: "#", termSet: true}
	for i, x := range *m.stack {
		if x == m {
			r.stack = (*m.stack)[i:] // switch_ivr_menu_find looks from this menu on
		}
	}
	if !s.menuReady() {
		return starlark.None, nil
	}
	if t, err := r.variable("ivr_menu_terminator"); err != nil {
		return nil, err
	} else if t != "" {
		r.terms = t
	}
	if _, err := r.run(name); err != nil {
		return nil, err
	}
	return starlark.None, nil
}

// menuReady is ready(): up and not transferred away.
func (s *Session) menuReady() bool {
	s.sync()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readyLocked() && !s.transferred
}

func (r *menuRun) find(name string) *IVRMenu {
	for _, m := range r.stack {
		if m.name == name {
			return m
		}
	}
	return nil
}

// call runs a Session method as the script would.
func (r *menuRun) call(method string, args ...starlark.Value) (starlark.Value, error) {
	return sessionMethods[method](r.s, r.thread, r.fn, starlark.Tuple(args), nil)
}

func (r *menuRun) variable(name string) (string, error) {
	v, err := r.call("getVariable", starlark.String(name))
	if err != nil {
		return "", err
	}
	if s, ok := v.(starlark.String); ok {
		return string(s), nil
	}
	return "", nil
}

func (r *menuRun) setVariable(name, value string) error {
	_, err := r.call("setVariable", starlark.String(name), starlark.String(value))
	if errors.Is(err, ErrHungUp) {
		return nil
	}
	return err
}

// event fires the menu::enter or menu::exit event with Menu-Name.
func (r *menuRun) event(subclass string, m *IVRMenu) {
	ev := esl.NewEvent("CUSTOM", subclass)
	ev.Headers.Add("Menu-Name", m.name)
	ev.Headers.Add("Channel-Call-UUID", r.s.UUID())
	if err := r.s.ctl.sendEvent(r.s.call.ctx(), ev); err != nil {
		r.s.log.Debug("could not fire the menu event", "event", subclass, "error", err)
	}
}

// run is switch_ivr_menu_execute.
func (r *menuRun) run(name string) (menuStatus, error) {
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > 12 {
		r.s.log.Error("IVRMenu.execute: too many levels of recursion", "menu", name)
		return menuFalse, nil
	}
	m := r.find(name)
	if m == nil {
		r.s.log.Error("IVRMenu.execute: invalid menu", "menu", name)
		return menuFalse, nil
	}
	defer r.event("menu::exit", m)
	if err := r.menuTTS(m); err != nil {
		return menuFalse, err
	}
	if err := r.setVariable("ivr_menu_status", "success"); err != nil {
		return menuFalse, err
	}
	r.event("menu::enter", m)
	status := menuSuccess
	running := true
	errs, timeouts := 0, 0
	for reps := 0; running && status == menuSuccess; reps++ {
		if !r.s.menuReady() {
			break
		}
		if errs == m.maxFailures {
			return r.finish(m, menuSuccess, r.setVariable("ivr_menu_status", "failure"))
		}
		if timeouts == m.maxTimeouts {
			return r.finish(m, menuSuccess, r.setVariable("ivr_menu_status", "timeout"))
		}
		greeting := m.greeting
		if reps > 0 && m.shortGreeting != "" {
			greeting = m.shortGreeting
		}
		st, buf, err := r.playAndCollect(m, greeting, m.digitLen)
		if err != nil {
			return menuFalse, err
		}
		if st == menuTimeout && buf == "" {
			timeouts++
			continue
		}
		match := false
		if buf != "" {
			for _, a := range m.actions {
				arg := a.arg
				ok := buf == a.bind
				if a.re != nil {
					if sm := a.re.FindStringSubmatchIndex(buf); sm != nil {
						ok = true
						arg = string(a.re.ExpandString(nil, dollarGroups(a.arg), buf, sm))
					}
				}
				if !ok {
					continue
				}
				match = true
				errs = 0
				switch a.action {
				case "menu-exit":
					status = menuFalse
				case "menu-play-sound":
					status, err = r.play(arg)
				case "menu-sub":
					if arg == m.name {
						status = menuSuccess
						break
					}
					reps = -1
					r.event("menu::exit", m)
					status, err = r.run(arg)
					r.event("menu::enter", m)
				case "menu-exec-app":
					status, err = r.execApp(m, arg)
				case "menu-back":
					running = false
					status = menuSuccess
				case "menu-top":
					r.toMain = true
					status = menuBreak
				}
				if err != nil {
					return menuFalse, err
				}
			}
			if m.top && r.toMain {
				r.toMain = false
				status = menuSuccess
				running = true
				continue
			}
		}
		if !match {
			if buf != "" && m.invalid != "" {
				if _, _, err := r.playAndCollect(m, m.invalid, 0); err != nil {
					return menuFalse, err
				}
			}
			errs++
			if status == menuBreak {
				status = menuSuccess
			}
		}
	}
	return r.finish(m, status, nil)
}

// finish plays the exit sound when the first menu ends.
func (r *menuRun) finish(m *IVRMenu, status menuStatus, err error) (menuStatus, error) {
	if err != nil {
		return menuFalse, err
	}
	if r.depth == 1 && m.exit != "" {
		st, _, err := r.playAndCollect(m, m.exit, 0)
		return st, err
	}
	return status, nil
}

// menuTTS sets tts_engine and tts_voice when the menu has both.
func (r *menuRun) menuTTS(m *IVRMenu) error {
	if m.ttsEngine == "" || m.ttsVoice == "" {
		return nil
	}
	if err := r.setVariable("tts_engine", m.ttsEngine); err != nil {
		return err
	}
	return r.setVariable("tts_voice", m.ttsVoice)
}

// dollarGroups turns the switch's $1 into regexp.Expand's ${1}.
func dollarGroups(s string) string {
	return regexp.MustCompile(`\$(\d+)`).ReplaceAllString(s, "$${$1}")
}

// playAndCollect is the switch's play_and_collect: the sound is expanded
// as the switch expands it; with need > 0 a key breaks it and up to need
// digits are collected (the first within the menu's timeout, the next
// within inter_timeout, until a terminator); with need 0 keys pressed
// during it are eaten. Then confirm_macro, if any.
func (r *menuRun) playAndCollect(m *IVRMenu, sound string, need int) (menuStatus, string, error) {
	if sound == "" {
		return menuFalse, "", nil
	}
	if need == 0 {
		r.s.mu.Lock()
		kept := r.s.typeahead
		r.s.mu.Unlock()
		ev, err := r.s.run(r.thread, r.fn, "playback", sound, false)
		r.s.mu.Lock()
		r.s.typeahead = kept // the switch's play_and_collect eats these keys
		r.s.mu.Unlock()
		return playStatus(ev, err), "", r.alive(err)
	}
	ev, err := r.read(fmt.Sprintf("1 %d %s %s %d %s %d", need, esl.QuoteArg(sound), digitsVar, m.timeout, esl.QuoteArg(termArg(r.terms)), m.interTimeout))
	if err != nil {
		return menuFalse, "", r.alive(err)
	}
	buf := ev.Variable(digitsVar)
	status := menuSuccess
	switch ev.Variable("read_result") {
	case "timeout":
		status = menuTimeout
	case "failure":
		status = menuFalse
		// The read app needs one digit at least: no digit and no
		// terminator is collect_digits_count's timeout.
		if buf == "" && ev.Variable("read_terminator_used") == "" {
			status = menuTimeout
		}
	}
	if m.confirmMacro == "" || status != menuSuccess || buf == "" {
		return status, buf, nil
	}
	att := m.confirmAttempts
	for att > 0 {
		prompt := "phrase:" + m.confirmMacro + ":" + buf
		key := ""
		if m.confirmKey != "" {
			ev, err := r.read(fmt.Sprintf("1 1 %s %s %d %s", esl.QuoteArg(prompt), digitsVar, m.timeout, esl.QuoteArg(termArg(r.terms))))
			if err != nil {
				return menuFalse, "", r.alive(err)
			}
			key = ev.Variable(digitsVar)
		} else if _, err := r.s.run(r.thread, r.fn, "playback", prompt, false); err != nil {
			return menuFalse, "", r.alive(err)
		}
		if m.confirmKey != "" && key != "" {
			if key[0] == m.confirmKey[0] {
				return status, buf, nil
			}
			att = 0
			break
		}
		att--
	}
	return status, "", nil // rejected
}

// read runs the read app with arg (expanded by the switch, as
// play_and_collect expands its sound), read_terminator_used cleared first
// when an earlier read may have set it.
func (r *menuRun) read(arg string) (*esl.Event, error) {
	if r.termSet {
		if err := r.setVariable("read_terminator_used", ""); err != nil {
			return nil, err
		}
		r.termSet = false
	}
	ev, err := r.s.run(r.thread, r.fn, "read", arg, false)
	if err == nil && ev.Variable("read_terminator_used") != "" {
		r.termSet = true
	}
	return ev, err
}

// play is switch_ivr_play_file without input arguments: keys pressed
// meanwhile stay for the next collection (type-ahead).
func (r *menuRun) play(file string) (menuStatus, error) {
	ev, err := r.s.run(r.thread, r.fn, "playback", esl.EscapeVars(file), false)
	return playStatus(ev, err), r.alive(err)
}

func playStatus(ev *esl.Event, err error) menuStatus {
	if err != nil || ev == nil || ev.Get("Application-Response") != "FILE PLAYED" {
		return menuFalse
	}
	return menuSuccess
}

// alive drops the error of a channel that went: the loop sees it.
func (r *menuRun) alive(err error) error {
	if err == nil || errors.Is(err, errGone) {
		return nil
	}
	return err
}

// execApp is menu-exec-app: "app args", the args expanded by the switch as
// switch_core_session_exec does; transfer plays the transfer sound first.
func (r *menuRun) execApp(m *IVRMenu, arg string) (menuStatus, error) {
	app, data, _ := strings.Cut(arg, " ")
	if app == "" {
		return menuFalse, nil
	}
	if app == "transfer" && m.transfer != "" {
		if _, _, err := r.playAndCollect(m, m.transfer, 0); err != nil {
			return menuFalse, err
		}
	}
	_, err := r.s.run(r.thread, r.fn, app, data, false)
	if errors.Is(err, errGone) {
		return menuSuccess, nil
	}
	if err != nil {
		var cerr *esl.CommandError
		if errors.As(err, &cerr) {
			r.s.log.Error("IVRMenu: menu-exec-app failed", "app", app, "error", err)
			return menuFalse, nil // as an unknown application: the menu ends
		}
		return menuFalse, err
	}
	if app == "transfer" {
		r.s.mu.Lock()
		r.s.transferred = true
		r.s.mu.Unlock()
	}
	return menuSuccess, nil
}
