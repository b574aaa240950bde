// Package merge applies one layer of a Katalog onto another: JSON Merge Patch
// (RFC 7386) plus the Kubernetes convention for lists of named items.
package merge

// DeleteDirective is the key that, set to "delete" in an item of a named
// list, removes the item of that name; set to "replace", the item replaces
// the earlier one of that name instead of merging into it. The key itself
// never reaches the result.
const DeleteDirective = "$patch"

// withoutDirective returns a copy of m without its $patch key.
func withoutDirective(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != DeleteDirective {
			out[k] = v
		}
	}
	return out
}

// Patch merges patch into base and returns the result. Maps merge key by key,
// and an explicit nil removes a key. Lists whose items are all maps with a
// "name" key merge item by item by name when the patch list is not empty:
// earlier order is kept, new names are appended, and {name: X, $patch:
// delete} removes X. Every other list, and every scalar, replaces.
//
// Patch may modify base and reuse its parts, but never modifies patch nor
// shares its parts with the result, so one patch can be applied many times.
func Patch(base, patch any) any {
	switch p := patch.(type) {
	case map[string]any:
		b, ok := base.(map[string]any)
		if !ok || b == nil {
			b = make(map[string]any, len(p))
		}
		for k, v := range p {
			if v == nil {
				delete(b, k)
				continue
			}
			b[k] = Patch(b[k], v)
		}
		return b
	case []any:
		if b, ok := base.([]any); ok && len(p) > 0 && named(b) && named(p) {
			return mergeNamed(b, p)
		}
		if named(p) {
			return mergeNamed(nil, p)
		}
		return clone(p)
	}
	return patch
}

// named reports whether every item of l is a map with a string "name".
func named(l []any) bool {
	for _, item := range l {
		m, ok := item.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := m["name"].(string); !ok {
			return false
		}
	}
	return true
}

func mergeNamed(base, patch []any) []any {
	index := make(map[string]int, len(base))
	out := make([]any, 0, len(base)+len(patch))
	for _, item := range base {
		index[item.(map[string]any)["name"].(string)] = len(out)
		out = append(out, item)
	}
	deleted := false
	for _, item := range patch {
		m := item.(map[string]any)
		name := m["name"].(string)
		i, exists := index[name]
		directive, _ := m[DeleteDirective].(string)
		if directive == "delete" {
			if exists && out[i] != nil {
				out[i] = nil
				deleted = true
			}
			continue
		}
		if directive != "" {
			m = withoutDirective(m)
		}
		if exists && out[i] != nil && directive != "replace" {
			out[i] = Patch(out[i], m)
			continue
		}
		if exists && out[i] != nil {
			out[i] = Patch(nil, m) // $patch: replace: the item as written
			continue
		}
		index[name] = len(out)
		out = append(out, Patch(nil, m))
	}
	if !deleted {
		return out
	}
	kept := out[:0]
	for _, item := range out {
		if item != nil {
			kept = append(kept, item)
		}
	}
	return kept
}

// clone deep-copies a value built of maps, lists and scalars. Nil values
// inside maps are dropped: a null under a key the base lacks leaves nothing.
func clone(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return Patch(nil, t)
	case []any:
		out := make([]any, len(t))
		for i, item := range t {
			switch item.(type) {
			case map[string]any, []any:
				out[i] = clone(item)
			default:
				out[i] = item
			}
		}
		return out
	}
	return v
}
