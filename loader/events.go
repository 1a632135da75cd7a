package loader

import (
	"time"
)

// EventKind says what happened to a module during a reload.
type EventKind int

const (
	// Reloaded: a new version is serving.
	Reloaded EventKind = iota
	// Unchanged: the file was saved with the same content and the same
	// dependencies; the current version keeps serving, nothing was compiled.
	Unchanged
	// Failed: the new source did not load; the last good version, if any,
	// keeps serving (Event.KeptVersion says which).
	Failed
	// Removed: the file is gone and the module was unloaded.
	Removed
)

// String returns the kind's lower-case name.
func (k EventKind) String() string {
	switch k {
	case Reloaded:
		return "reloaded"
	case Unchanged:
		return "unchanged"
	case Failed:
		return "failed"
	case Removed:
		return "removed"
	}
	return "unknown"
}

// Event reports the outcome of a reload for one module.
type Event struct {
	Kind   EventKind
	Module string
	Path   string
	// Version is the new version for Reloaded and Unchanged.
	Version uint64
	// KeptVersion is the last good version still serving after Failed
	// (0 when there is none).
	KeptVersion uint64
	// Err is the load error for Failed.
	Err error
	// Cause is the module whose file change triggered this reload (the
	// module itself, or a module it loads directly or not).
	Cause string
	// At is when the reload of this module finished.
	At time.Time
}

// Subscribe registers fn to be called with every reload Event, after the
// new versions are serving. fn runs on the loader's reload goroutine and
// must not block for long or call Subscribe. The returned function
// unregisters fn.
func (l *Loader) Subscribe(fn func(Event)) (cancel func()) {
	l.subMu.Lock()
	defer l.subMu.Unlock()
	id := l.nextSub
	l.nextSub++
	l.subs[id] = fn
	return func() {
		l.subMu.Lock()
		defer l.subMu.Unlock()
		delete(l.subs, id)
	}
}

func (l *Loader) emit(evs []Event) {
	l.subMu.Lock()
	fns := make([]func(Event), 0, len(l.subs))
	for _, fn := range l.subs {
		fns = append(fns, fn)
	}
	l.subMu.Unlock()
	for _, ev := range evs {
		for _, fn := range fns {
			fn(ev)
		}
	}
}
