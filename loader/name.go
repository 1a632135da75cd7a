package loader

import (
	"fmt"
	"path"
	"strings"
)

// ParseSpec splits an entry-point spec such as "ivr.main::night" into its
// module name ("ivr.main") and function name ("night"). The function is
// empty when the spec has no "::" part. Both halves are validated: see
// [ValidateName] for module names; a function name must be an identifier.
func ParseSpec(spec string) (module, function string, err error) {
	module, function, hasFunc := strings.Cut(spec, "::")
	if err := ValidateName(module); err != nil {
		return "", "", fmt.Errorf("spec %q: %w", spec, err)
	}
	if hasFunc && !isIdent(function) {
		return "", "", fmt.Errorf("spec %q: function name %q is not an identifier", spec, function)
	}
	return module, function, nil
}

// ValidateName reports whether name is a well-formed dotted module name:
// one or more segments of the form [A-Za-z_][A-Za-z0-9_]* separated by
// single dots. Anything else (empty segments, "..", slashes, backslashes,
// NUL, "%2e" and other escapes, spaces, non-ASCII) is refused with an error
// that quotes the input.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("empty module name")
	}
	for rest := name; ; {
		seg, tail, more := strings.Cut(rest, ".")
		if seg == "" {
			return fmt.Errorf("module name %q has an empty segment (a leading, trailing or doubled dot)", name)
		}
		if !isIdent(seg) {
			return fmt.Errorf("module name %q: segment %q must match [A-Za-z_][A-Za-z0-9_]*", name, seg)
		}
		if !more {
			break
		}
		rest = tail
	}
	return nil
}

// NormalizeLoad turns the argument of a load() statement into a module
// name. Dotted names ("lib.util") are used as they are; root-relative
// paths ("lib/util.star") are converted to the dotted form after the same
// checks: no leading "/", no "." or ".." segments, no backslashes, and a
// ".star" suffix.
func NormalizeLoad(arg string) (string, error) {
	if !strings.Contains(arg, "/") && !strings.HasSuffix(arg, ".star") {
		if err := ValidateName(arg); err != nil {
			return "", err
		}
		return arg, nil
	}
	if strings.HasPrefix(arg, "/") {
		return "", fmt.Errorf("load %q: absolute paths are refused; use a path relative to a script directory", arg)
	}
	if !strings.HasSuffix(arg, ".star") {
		return "", fmt.Errorf("load %q: a path must end in .star", arg)
	}
	rel := strings.TrimSuffix(arg, ".star")
	if path.Clean(rel) != rel {
		return "", fmt.Errorf("load %q: path is not clean (\".\", \"..\" or doubled \"/\")", arg)
	}
	segs := strings.Split(rel, "/")
	for _, seg := range segs {
		if !isIdent(seg) {
			return "", fmt.Errorf("load %q: path segment %q must match [A-Za-z_][A-Za-z0-9_]*", arg, seg)
		}
	}
	return strings.Join(segs, "."), nil
}

// relPath is the slash-separated file path, relative to a root, of a
// validated module name.
func relPath(name string) string {
	return strings.ReplaceAll(name, ".", "/") + ".star"
}

// nameFromRel is the inverse of relPath; ok is false for files that are
// not modules (wrong suffix, bad segments).
func nameFromRel(rel string) (string, bool) {
	rel = strings.ReplaceAll(rel, "\\", "/")
	if !strings.HasSuffix(rel, ".star") {
		return "", false
	}
	name := strings.ReplaceAll(strings.TrimSuffix(rel, ".star"), "/", ".")
	if ValidateName(name) != nil {
		return "", false
	}
	return name, true
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
