// Package fieldpath writes the path of a field in a manifest as ork shows it
// everywhere (errors, plans, diffs): keys joined by dots, a key a reader
// could misread quoted in brackets (metadata.labels["app.kubernetes.io/name"]),
// and an item of a list of named items by its name
// (spec.template.spec.containers[name=app].env[name=APP_ENV].value), other
// items by index (spec.rules[0].host).
package fieldpath

import (
	"regexp"
	"strconv"
)

var plainKey = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$-]*$`)

var dnsName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)

// AppendKey appends .k to a path, or ["k"] when k has dots or other
// characters a reader could misread.
func AppendKey(path []byte, k string) []byte {
	if plainKey.MatchString(k) {
		if len(path) > 0 {
			path = append(path, '.')
		}
		return append(path, k...)
	}
	path = append(path, '[')
	path = strconv.AppendQuote(path, k)
	return append(path, ']')
}

// AppendName appends [name=NAME], the item of a named list.
func AppendName(path []byte, name string) []byte {
	path = append(path, "[name="...)
	if plainKey.MatchString(name) || dnsName.MatchString(name) {
		path = append(path, name...)
	} else {
		path = strconv.AppendQuote(path, name)
	}
	return append(path, ']')
}

// AppendIndex appends [i].
func AppendIndex(path []byte, i int) []byte {
	path = append(path, '[')
	path = strconv.AppendInt(path, int64(i), 10)
	return append(path, ']')
}

// ItemNames returns the names of a list's items when every item is a map
// with a distinct string name (containers, env, ports): the lists whose
// items ork names rather than numbers.
func ItemNames(l []any) ([]string, bool) {
	names := make([]string, len(l))
	seen := make(map[string]bool, len(l))
	for i, it := range l {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, false
		}
		name, ok := m["name"].(string)
		if !ok || seen[name] {
			return nil, false
		}
		seen[name] = true
		names[i] = name
	}
	return names, true
}

// Format writes path (map keys, and list indexes in decimal, as CUE and the
// merge report them) in the named form, reading root (a decoded manifest:
// map[string]any, []any and scalars) to name the items of named lists.
// A segment root does not have is written as a key or an index as it is.
func Format(path []string, root any) string {
	var b []byte
	cur := root
	for _, seg := range path {
		switch x := cur.(type) {
		case map[string]any:
			key := seg
			if _, ok := x[key]; !ok {
				if u, err := strconv.Unquote(seg); err == nil {
					key = u
				}
			}
			b = AppendKey(b, key)
			cur = x[key]
			continue
		case []any:
			if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(x) {
				if names, ok := ItemNames(x); ok {
					b = AppendName(b, names[i])
				} else {
					b = AppendIndex(b, i)
				}
				cur = x[i]
				continue
			}
		}
		cur = nil
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 {
			b = AppendIndex(b, i)
		} else {
			b = AppendKey(b, seg)
		}
	}
	return string(b)
}
