package compose

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// FieldStep is one step of a FieldPath: a map key, the item of a named list
// with a name, or the item of another list at an index.
type FieldStep struct {
	Key   string
	Name  string // with Named
	Named bool
	Index int // with Indexed
	// Indexed marks a list index; ParseFieldPath sets it for [N].
	Indexed bool
}

// FieldPath is a path to a field of a manifest, written as ork diff and
// ork plan write it: spec.template.spec.containers[name=app].image, with
// ["key.with.dots"] for keys a reader could misread and [N] for an item of
// a list that is not merged by name.
type FieldPath []FieldStep

var (
	plainFieldKey = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$-]*$`)
	dnsItemName   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)
)

// String writes the path back in the form ParseFieldPath reads.
func (p FieldPath) String() string {
	var b strings.Builder
	for i, s := range p {
		switch {
		case s.Named:
			b.WriteString("[name=")
			if plainFieldKey.MatchString(s.Name) || dnsItemName.MatchString(s.Name) {
				b.WriteString(s.Name)
			} else {
				b.WriteString(strconv.Quote(s.Name))
			}
			b.WriteByte(']')
		case s.Indexed:
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		case plainFieldKey.MatchString(s.Key):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Key)
		default:
			b.WriteString("[" + strconv.Quote(s.Key) + "]")
		}
	}
	return b.String()
}

// ParseFieldPath reads a field path: keys separated by dots, ["key"] for
// any key (a Go-quoted string), [name=NAME] or [name="NAME"] for the item
// of a named list, [N] for the item at index N of another list. The empty
// string is the whole manifest.
func ParseFieldPath(s string) (FieldPath, error) {
	var p FieldPath
	i := 0
	fail := func(format string, args ...any) (FieldPath, error) {
		return nil, fmt.Errorf("field path %q, at byte %d: %s", s, i+1, fmt.Sprintf(format, args...))
	}
	for i < len(s) {
		switch {
		case s[i] == '[':
			end, step, err := bracket(s, i)
			if err != nil {
				return fail("%v", err)
			}
			p = append(p, step)
			i = end
		case s[i] == '.':
			if i == 0 || i+1 >= len(s) || s[i+1] == '.' || s[i+1] == '[' {
				return fail("a dot must separate two keys")
			}
			i++
			fallthrough
		default:
			if len(p) > 0 && i > 0 && s[i-1] != '.' {
				return fail("a key must follow a dot")
			}
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			if j == i {
				return fail("empty key")
			}
			p = append(p, FieldStep{Key: s[i:j]})
			i = j
		}
	}
	return p, nil
}

// bracket reads the [ … ] step that starts at s[i]; it returns the index
// after it.
func bracket(s string, i int) (int, FieldStep, error) {
	rest := s[i+1:]
	switch {
	case strings.HasPrefix(rest, `"`):
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return 0, FieldStep{}, fmt.Errorf("unterminated or malformed quoted key")
		}
		key, _ := strconv.Unquote(q)
		end := i + 1 + len(q)
		if end >= len(s) || s[end] != ']' {
			return 0, FieldStep{}, fmt.Errorf(`want ] after the quoted key`)
		}
		return end + 1, FieldStep{Key: key}, nil
	case strings.HasPrefix(rest, "name="):
		v := rest[len("name="):]
		var name string
		var n int
		if strings.HasPrefix(v, `"`) {
			q, err := strconv.QuotedPrefix(v)
			if err != nil {
				return 0, FieldStep{}, fmt.Errorf("unterminated or malformed quoted name")
			}
			name, _ = strconv.Unquote(q)
			n = len(q)
		} else {
			n = strings.IndexByte(v, ']')
			if n < 0 {
				return 0, FieldStep{}, fmt.Errorf("want ] after the name")
			}
			name = v[:n]
		}
		end := i + 1 + len("name=") + n
		if end >= len(s) || s[end] != ']' {
			return 0, FieldStep{}, fmt.Errorf("want ] after the name")
		}
		return end + 1, FieldStep{Name: name, Named: true}, nil
	}
	n := strings.IndexByte(rest, ']')
	if n < 0 {
		return 0, FieldStep{}, fmt.Errorf("want ]")
	}
	idx, err := strconv.Atoi(rest[:n])
	if err != nil || idx < 0 || strings.HasPrefix(rest[:n], "+") {
		return 0, FieldStep{}, fmt.Errorf(`want [N], [name=NAME] or ["key"], not [%s]`, rest[:n])
	}
	return i + 1 + n + 1, FieldStep{Index: idx, Indexed: true}, nil
}
