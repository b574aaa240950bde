// Package merge applies one layer of a Katalog onto another: JSON Merge Patch
// (RFC 7386) plus the Kubernetes convention for lists of named items.
package merge

// DeleteDirective is the key that, set to "delete" in an item of a named
// list, removes the item of that name; set to "replace", the item replaces
// the earlier one of that name instead of merging into it. The key itself
// never reaches the result.
const DeleteDirective = "$patch"

// withoutDirective returns m without its $patch key: m itself when it has
// no directive, else a copy.
func withoutDirective(m map[string]any, directive string) map[string]any {
	if directive == "" {
		return m
	}
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
func Patch(base, patch any) any { return apply(base, patch, nil) }

// apply is Patch, reporting each change to t when t is not nil. The normal
// build passes nil and pays only for the nil checks.
func apply(base, patch any, t *tracer) any {
	switch p := patch.(type) {
	case map[string]any:
		b, ok := base.(map[string]any)
		fresh := !ok || b == nil
		if fresh {
			if t != nil {
				t.created(base, writesNothing(p))
			}
			b = make(map[string]any, len(p))
		}
		if t != nil {
			t.mapKeys(b, p)
			return b
		}
		for k, v := range p {
			switch v.(type) {
			case nil:
				delete(b, k)
			case map[string]any, []any:
				var was any // nothing in a fresh map: not looked up
				if !fresh {
					was = b[k]
				}
				b[k] = apply(was, v, nil)
			default: // a scalar replaces whatever was there
				b[k] = v
			}
		}
		return b
	case []any:
		if b, ok := base.([]any); ok && len(p) > 0 && Named(b) && Named(p) {
			return mergeNamed(b, p, t)
		}
		if Named(p) {
			if t != nil {
				return t.replacedList(base, p)
			}
			return mergeNamed(nil, p, nil)
		}
		if t != nil {
			t.emit(Set, clone(p)) // a copy of its own: the result may change
		}
		return clone(p)
	}
	if t != nil {
		t.emit(Set, patch)
	}
	return patch
}

// writesNothing reports whether a patch map only deletes keys: merged where
// there was no map, it leaves an empty one.
func writesNothing(p map[string]any) bool {
	for _, v := range p {
		if v != nil {
			return false
		}
	}
	return true
}

// Named reports whether every item of l is a map with a string "name":
// a list that merges item by item by name.
func Named(l []any) bool {
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

func mergeNamed(base, patch []any, t *tracer) []any {
	var short [8]string
	names := short[:0]
	index := newNameIndex(len(base) + len(patch))
	out := make([]any, 0, len(base)+len(patch))
	for _, item := range base {
		names = index.add(names, item.(map[string]any)["name"].(string))
		out = append(out, item)
	}
	deleted := false
	for _, item := range patch {
		m := item.(map[string]any)
		name := m["name"].(string)
		if t != nil {
			t.push(Step{Name: name, Item: true})
		}
		i, exists := index.find(names, name)
		directive, _ := m[DeleteDirective].(string)
		switch {
		case directive == "delete":
			if exists && out[i] != nil {
				if t != nil {
					t.emit(Delete, out[i])
				}
				out[i] = nil
				deleted = true
			}
		case exists && out[i] != nil && directive != "replace":
			out[i] = apply(out[i], withoutDirective(m, directive), t)
		case exists && out[i] != nil:
			// $patch: replace: the item as written.
			if t != nil {
				t.emit(Replace, out[i])
			}
			out[i] = apply(nil, withoutDirective(m, directive), t)
		default:
			names = index.add(names, name)
			out = append(out, apply(nil, withoutDirective(m, directive), t))
		}
		if t != nil {
			t.pop()
		}
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

// nameIndex finds the position of the last item of a name in a merged
// list, whether or not the item was deleted since: by looking through
// names, those of the items at each position, in a short list, which most
// named lists are (containers, ports, variables), and through byName in a
// long one. Its names are a local slice of mergeNamed's, appended to there
// (a slice inside a struct behind a pointer would escape to the heap).
type nameIndex struct {
	byName map[string]int
}

const shortList = 16 // longest list searched name by name

func newNameIndex(items int) nameIndex {
	if items > shortList {
		return nameIndex{byName: make(map[string]int, items)}
	}
	return nameIndex{}
}

func (x nameIndex) add(names []string, name string) []string {
	if x.byName != nil {
		x.byName[name] = len(names)
	}
	return append(names, name)
}

func (x nameIndex) find(names []string, name string) (int, bool) {
	if x.byName != nil {
		i, ok := x.byName[name]
		return i, ok
	}
	for i := len(names) - 1; i >= 0; i-- {
		if names[i] == name {
			return i, true
		}
	}
	return 0, false
}

// clone deep-copies a value built of maps, lists and scalars. Nil values
// inside maps are dropped: a null under a key the base lacks leaves nothing.
func clone(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return apply(nil, t, nil)
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

// Copy copies a value built of maps, lists and scalars, as manifests are.
func Copy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = Copy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = Copy(e)
		}
		return out
	}
	return v
}
