package plan

import "strings"

// MaskAt returns v, the value at path in a manifest with identity id, with
// every value that looks like a secret replaced by Masked, as a plan shows
// it (see Masked). Path elements are map keys; an item of a list is
// name=NAME (its name, which says whether its value is a secret: an
// environment variable DB_PASSWORD) or its index. It is for other outputs
// that show a manifest's values, such as ork explain.
func MaskAt(id ID, path []string, v any) any {
	w := rootWhere(id)
	var item map[string]any // the named item the next key is in
	for _, p := range path {
		if name, ok := strings.CutPrefix(p, "name="); ok && w.depth > 0 {
			w, item = w.item(), map[string]any{"name": name}
			continue
		}
		if isIndex(p) && w.depth > 0 {
			w, item = w.item(), nil
			continue
		}
		w, item = w.child(p, item), nil
	}
	_, masked, _ := maskPair(nil, v, w)
	return masked
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
