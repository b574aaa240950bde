package bundle

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// writer renders manifests as block-style YAML with byte-wise sorted keys.
//
// Bundles hold tens of thousands of manifests, and yaml.v3's encoder spends
// about 60 µs and 50 KB of allocation on each (measured: it was 55% of a
// 500-service x 20-environment build). The Katalog's values are only maps,
// lists, strings, integers, floats, booleans and nulls, whose block layout
// is fixed, so ork writes them itself: a string is written plain only when
// it is plainly a string to any YAML 1.1 or 1.2 reader, and otherwise
// double-quoted with JSON escapes (a JSON string is a valid YAML
// double-quoted scalar). TestWriterRoundTrip and FuzzWriter hold the output
// to what yaml.v3 reads back.
type writer struct {
	buf []byte
}

// document writes one top-level mapping.
func (w *writer) document(m map[string]any) error {
	if len(m) == 0 {
		w.buf = append(w.buf, "{}\n"...)
		return nil
	}
	return w.mapping(m, 0)
}

func (w *writer) indent(n int) {
	for n > len(spaces) {
		w.buf = append(w.buf, spaces...)
		n -= len(spaces)
	}
	w.buf = append(w.buf, spaces[:n]...)
}

const spaces = "                                                                "

// mapping writes the entries of m at indentation ind; the first entry's
// line is assumed to be started already when the caller is a list item.
func (w *writer) mapping(m map[string]any, ind int) error {
	// Entries are taken with their values, so that writing them in order
	// looks nothing up; most mappings fit the array, which stays on the
	// stack.
	var small [16]field
	fields := small[:0]
	for k, v := range m {
		fields = append(fields, field{k, v})
	}
	slices.SortFunc(fields, func(a, b field) int { return strings.Compare(a.key, b.key) })
	for i, f := range fields {
		if i > 0 {
			w.indent(ind)
		}
		w.key(f.key, ind)
		if err := w.value(f.value, ind); err != nil {
			return fmt.Errorf("%s: %w", f.key, err)
		}
	}
	return nil
}

// field is one entry of a mapping.
type field struct {
	key   string
	value any
}

// value writes the value of a mapping entry whose key is written.
func (w *writer) value(v any, ind int) error {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			w.buf = append(w.buf, " {}\n"...)
			return nil
		}
		w.buf = append(w.buf, '\n')
		w.indent(ind + 2)
		return w.mapping(x, ind+2)
	case []any:
		if len(x) == 0 {
			w.buf = append(w.buf, " []\n"...)
			return nil
		}
		w.buf = append(w.buf, '\n')
		return w.sequence(x, ind+2)
	case string:
		if literalSafe(x) && strings.Count(x, "\n") > 1 {
			w.buf = append(w.buf, " |\n"...)
			w.literal(x, ind+2)
			return nil
		}
		w.buf = append(w.buf, ' ')
	default:
		w.buf = append(w.buf, ' ')
	}
	if err := w.scalar(v); err != nil {
		return err
	}
	w.buf = append(w.buf, '\n')
	return nil
}

// sequence writes the items of l at indentation ind, each "- item".
func (w *writer) sequence(l []any, ind int) error {
	for i, item := range l {
		w.indent(ind)
		w.buf = append(w.buf, "- "...)
		switch x := item.(type) {
		case map[string]any:
			if len(x) == 0 {
				w.buf = append(w.buf, "{}\n"...)
				continue
			}
			if err := w.mapping(x, ind+2); err != nil {
				return fmt.Errorf("%d: %w", i, err)
			}
		case []any:
			if len(x) == 0 {
				w.buf = append(w.buf, "[]\n"...)
				continue
			}
			w.buf = w.buf[:len(w.buf)-1] // "-" then the nested list below it
			w.buf = append(w.buf, '\n')
			if err := w.sequence(x, ind+2); err != nil {
				return fmt.Errorf("%d: %w", i, err)
			}
		default:
			if x, ok := item.(string); ok && literalSafe(x) && strings.Count(x, "\n") > 1 {
				w.buf = append(w.buf, "|\n"...)
				w.literal(x, ind+2)
				continue
			}
			if err := w.scalar(item); err != nil {
				return fmt.Errorf("%d: %w", i, err)
			}
			w.buf = append(w.buf, '\n')
		}
	}
	return nil
}

// literal writes s, which literalSafe accepts, as the lines of a literal
// block scalar at indentation ind.
func (w *writer) literal(s string, ind int) {
	w.buf = slices.Grow(w.buf, len(s)+ind*strings.Count(s, "\n")) // each line indented; s holds the newlines
	for line := range strings.SplitSeq(strings.TrimSuffix(s, "\n"), "\n") {
		if line != "" {
			w.indent(ind)
		}
		w.buf = append(w.buf, line...)
		w.buf = append(w.buf, '\n')
	}
}

// maxImplicitKey is the longest key YAML allows without "? ".
const maxImplicitKey = 1024

func (w *writer) key(k string, ind int) {
	start := len(w.buf)
	if plainSafe(k) {
		w.buf = append(w.buf, k...)
	} else {
		w.quoted(k)
	}
	if len(w.buf)-start > maxImplicitKey-8 {
		// An explicit key: "? key", then ":" on a line of its own.
		key := append([]byte("? "), w.buf[start:]...)
		w.buf = append(w.buf[:start], key...)
		w.buf = append(w.buf, '\n')
		w.indent(ind)
	}
	w.buf = append(w.buf, ':')
}

func (w *writer) scalar(v any) error {
	switch x := v.(type) {
	case nil:
		w.buf = append(w.buf, "null"...)
	case bool:
		w.buf = strconv.AppendBool(w.buf, x)
	case int64:
		w.buf = strconv.AppendInt(w.buf, x, 10)
	case int:
		w.buf = strconv.AppendInt(w.buf, int64(x), 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Errorf("%v is not a number a manifest can hold", x)
		}
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0" // stays a float when read back
		}
		w.buf = append(w.buf, s...)
	case string:
		switch {
		case plainSafe(x): // printable ASCII, so valid UTF-8
			w.buf = append(w.buf, x...)
		case !utf8.ValidString(x):
			return fmt.Errorf("%q is not valid UTF-8", x)
		default:
			w.quoted(x)
		}
	default:
		return fmt.Errorf("cannot write a %T", v)
	}
	return nil
}

// quoted writes s as a double-quoted scalar, escaping what YAML does not
// allow raw: control characters, the byte order mark, line and paragraph
// separators.
func (w *writer) quoted(s string) {
	w.buf = append(w.buf, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			w.buf = append(w.buf, '\\', byte(r))
		case r == '\n':
			w.buf = append(w.buf, `\n`...)
		case r == '\t':
			w.buf = append(w.buf, `\t`...)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfeff || r == 0x2028 || r == 0x2029 ||
			(r >= 0xd800 && r <= 0xdfff) || r == 0xfffe || r == 0xffff:
			if r <= 0xffff {
				w.buf = fmt.Appendf(w.buf, `\u%04X`, r)
			} else {
				w.buf = fmt.Appendf(w.buf, `\U%08X`, r)
			}
		default:
			w.buf = utf8.AppendRune(w.buf, r)
		}
	}
	w.buf = append(w.buf, '"')
}

// plainSafe reports whether s reads back as the same string when written
// as a plain scalar in block context, in YAML 1.1 and 1.2 alike. It is
// deliberately conservative: what it refuses is quoted, which is always
// correct.
func plainSafe(s string) bool {
	if s == "" || len(s) > 1024 {
		return false
	}
	switch s[0] {
	case ' ', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '~', '=', '<':
		return false
	case '-', '+', '.':
		if len(s) == 1 || s[1] == ' ' {
			return false
		}
	}
	if last := s[len(s)-1]; last == ' ' || last == ':' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case plainByte[c]:
		case c == '#':
			if s[i-1] == ' ' { // a comment
				return false
			}
		case c == ':':
			if s[i+1] == ' ' { // a mapping's key
				return false
			}
		default: // a control character, DEL, or not ASCII
			return false
		}
	}
	return !reservedWord(s) && !numeric(s)
}

// plainByte holds the printable ASCII bytes but '#' and ':', which a
// plain scalar may hold only where they start no comment or mapping.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '#' && c != ':'
	}
	return t
}()

// reservedWord reports whether s is one of the reserved words, in any
// case, without allocating: most strings are longer than any of them. s is
// ASCII (plainSafe has refused every byte from 0x80): Unicode case folding
// would also make "İ" an i.
func reservedWord(s string) bool {
	var lower [5]byte
	if len(s) > len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	return reserved[string(lower[:len(s)])]
}

// numeric reports whether a YAML 1.1 or 1.2 reader might take s for a
// number, a timestamp or a base-60 value: anything that starts with a digit
// or a dot (after signs) and has no letter but e, unless it has a colon or
// a 0x, 0o or 0b prefix, which make it numeric whatever follows. yaml.v3
// drops every underscore of such a scalar before reading it as a number
// ("0_B0" is 0, "-_1" is -1), so underscores count for nothing here. s is
// ASCII (plainSafe has refused every byte from 0x80).
func numeric(s string) bool {
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] == '+' || s[i] == '-') {
		i++
	}
	if i == len(s) || !(s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		return false
	}
	if s[i] == '0' {
		for _, c := range []byte(s[i+1:]) {
			if c != '_' {
				if c |= 0x20; c == 'x' || c == 'o' || c == 'b' {
					return true
				}
				break
			}
		}
	}
	letter := false
	for _, c := range []byte(s[i:]) {
		if c == ':' {
			return true
		}
		if c |= 0x20; 'a' <= c && c <= 'z' && c != 'e' {
			letter = true
		}
	}
	return !letter
}

// reserved are the plain words YAML 1.1 or 1.2 read as something other
// than a string (compared in lower case; none is longer than five bytes,
// reservedWord).
var reserved = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "y": true, "n": true,
	"null": true, ".nan": true, ".inf": true, "-.inf": true, "+.inf": true, "<<": true,
}
