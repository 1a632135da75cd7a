// Package loader turns dotted module names into loaded Starlark modules
// and keeps them current while their files are edited.
//
// # Names
//
// A module is named by its dotted path below one of the script
// directories: "ivr.main" is ivr/main.star. With several directories the
// first one holding the file wins. An entry-point spec may add a function:
// "ivr.main::night" (see ParseSpec). Inside scripts, load("lib.util", "fmt")
// uses the same names; a root-relative load("lib/util.star", "fmt") is
// accepted too. Every segment must match [A-Za-z_][A-Za-z0-9_]*, so "..",
// absolute paths, backslashes, NUL, "%2e%2e" and other odd characters are
// refused with an error that quotes the input. A file reached through a
// symlink whose real path leaves its script directory is refused, not
// skipped.
//
// # Loading
//
// Each module is parsed, resolved and compiled with the predeclared names
// given by WithPredeclared (builtins' freeswitch, json, time, math, files),
// its loads are resolved, and its top-level code runs once on its own
// thread (print goes to the logger with the module's name; a step limit
// and a deadline apply). Its globals are then frozen, so a call that tries
// to mutate module state fails with Starlark's "frozen" error and nothing a
// call does can leak into the next one. The result is an immutable
// *Module snapshot. Load cycles are reported as a *CycleError with their chain
// ("load cycle: a -> b -> a").
//
// Compiled programs are cached by (file, content hash, predeclared names,
// FileOptions), a few versions per file: a save with identical or
// reverted content is not recompiled, and a save that changes nothing
// (same content, same dependency versions) keeps the serving version.
//
// Get of a loaded module takes a read lock held only for a map lookup.
// Builds (first loads and reloads) are serialized under a separate lock,
// which keeps cycle detection exact; a call never waits on it once its
// module is loaded, and no lock is held while a call runs.
//
// # Reload
//
// The loader watches every script directory and every directory below it
// (new ones as they appear) with fsnotify, falling back to polling where
// fsnotify cannot watch (WithWatch, WithPollInterval). Events are debounced
// (WithDebounce, 30ms by default), so editors that save through a
// temporary file and a rename cause one reload. A change rebuilds that
// module and every loaded module that loads it, directly or not, at once,
// so errors are logged on save with file:line:col (and the Starlark
// backtrace for errors in top-level code). Each outcome is published to
// subscribers as an Event (Subscribe) after it is serving:
//
//   - Reloaded: the new version serves new calls; calls in flight keep
//     the *Module they started with.
//   - Failed: the module keeps its last good version serving, and so do
//     the modules that load it (they still see the old version of it).
//   - Removed: the file is gone; the module is unloaded and Get reports
//     ErrNotFound. Modules that load it fail to rebuild and keep serving
//     their last good version, which still holds the removed module's
//     values, until the file comes back or they stop loading it.
//
// Modules that were never asked for are not compiled on save; they load
// on first use. A module whose first load failed is retried when its file
// or a module it tried to load changes.
//
// # Dialect
//
// DefaultFileOptions chooses:
//
//   - While: true. Call scripts wait in loops (poll a channel variable,
//     retry a prompt until digits arrive); the step limit and cancellation
//     bound them, so forbidding while would only push people to
//     "for _ in range(1000000)".
//   - Set: true. set() is part of the language today and harmless.
//   - TopLevelControl: true. Module-level if/for build tables and
//     constants; top-level code runs once at load time under a step limit.
//   - GlobalReassign: false. A module's globals are bound once; reassigning
//     a top-level name is almost always a mistake in a module whose
//     globals are then frozen and shared.
//   - Recursion: false, as in the Starlark spec; WithRecursion(true)
//     allows it (the step limit still bounds it).
package loader
