package merge_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/orkdev/ork/pkg/merge"
)

// FuzzPatch decodes a base and a patch from JSON and checks what must hold
// for any input: Patch does not panic, does not modify or share the patch,
// leaves no delete directive in the named lists it merged, and a patch of
// plain maps and scalars is idempotent; Trace merges exactly as Patch does,
// and its events, replayed, give the same result.
func FuzzPatch(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":{"c":2}}`), []byte(`{"b":{"c":null,"d":3},"e":null}`))
	f.Add([]byte(`{"env":[{"name":"A","value":"1"},{"name":"B"}]}`), []byte(`{"env":[{"name":"B","$patch":"delete"},{"name":"C"}]}`))
	f.Fuzz(func(t *testing.T, baseJSON, patchJSON []byte) {
		var base, patch any
		if json.Unmarshal(baseJSON, &base) != nil || json.Unmarshal(patchJSON, &patch) != nil {
			t.Skip()
		}
		want := merge.Copy(patch)
		baseHasDirective := hasKey(base, merge.DeleteDirective)

		got := merge.Patch(merge.Copy(base), patch)
		if !reflect.DeepEqual(patch, want) {
			t.Fatalf("Patch modified the patch:\n got %s\nwant %s", show(patch), show(want))
		}
		if !baseHasDirective {
			if path, ok := leftDirective(got, patch, "$"); ok {
				t.Fatalf("Patch(%s, %s) = %s leaves a %s: delete item in the named list at %s",
					baseJSON, patchJSON, show(got), merge.DeleteDirective, path)
			}
		}
		if _, ok := patch.(map[string]any); ok && plain(patch) {
			again := merge.Patch(merge.Copy(got), patch)
			if !reflect.DeepEqual(again, got) {
				t.Fatalf("Patch is not idempotent for %s:\nonce  %s\ntwice %s", patchJSON, show(got), show(again))
			}
		}
		var events []merge.Event
		traced := merge.Trace(merge.Copy(base), patch, func(e merge.Event) { events = append(events, e) })
		if !reflect.DeepEqual(traced, got) {
			t.Fatalf("Trace(%s, %s) = %s, Patch = %s", baseJSON, patchJSON, show(traced), show(got))
		}
		if !baseHasDirective && isNamedThroughout(base) {
			if replayed := replay(merge.Copy(base), events); !reflect.DeepEqual(replayed, got) {
				t.Fatalf("the events of Trace(%s, %s) replayed give %s, the merge %s", baseJSON, patchJSON, show(replayed), show(got))
			}
		}
		scribble(got)
		if !reflect.DeepEqual(patch, want) {
			t.Fatalf("mutating the result modified the patch: the result shares memory with it")
		}
	})
}

// hasKey reports whether any map reachable from v has key.
func hasKey(v any, key string) bool {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t[key]; ok {
			return true
		}
		for _, e := range t {
			if hasKey(e, key) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if hasKey(e, key) {
				return true
			}
		}
	}
	return false
}

// isNamed reports whether every item of list is a map with a string name.
func isNamed(list []any) bool {
	for _, item := range list {
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

// leftDirective walks the result alongside the patch. Wherever the patch
// holds a named list (which Patch merges by name), no item of the result's
// list may still carry $patch: delete. It returns the path of the first
// offending list.
func leftDirective(result, patch any, path string) (string, bool) {
	switch p := patch.(type) {
	case map[string]any:
		r, ok := result.(map[string]any)
		if !ok {
			return "", false
		}
		for k, v := range p {
			if v == nil {
				continue
			}
			if at, bad := leftDirective(r[k], v, path+"."+k); bad {
				return at, true
			}
		}
	case []any:
		r, ok := result.([]any)
		if !ok || !isNamed(p) {
			return "", false
		}
		byName := map[string]any{}
		for _, item := range p {
			im := item.(map[string]any)
			if im[merge.DeleteDirective] != "delete" {
				byName[im["name"].(string)] = im
			}
		}
		for _, item := range r {
			im, ok := item.(map[string]any)
			if !ok {
				continue
			}
			if im[merge.DeleteDirective] == "delete" {
				return path, true
			}
			name, _ := im["name"].(string)
			if sub, ok := byName[name]; ok {
				if at, bad := leftDirective(im, sub, path+"[name="+name+"]"); bad {
					return at, true
				}
			}
		}
	}
	return "", false
}

// plain reports whether v holds no nil and no list at any depth.
func plain(v any) bool {
	switch t := v.(type) {
	case nil, []any:
		return false
	case map[string]any:
		for _, e := range t {
			if !plain(e) {
				return false
			}
		}
	}
	return true
}

// isNamedThroughout reports whether no list in v holds two items of one
// name, where replay (which finds items by name) could not tell them apart.
func isNamedThroughout(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for _, e := range t {
			if !isNamedThroughout(e) {
				return false
			}
		}
	case []any:
		seen := map[string]bool{}
		for _, e := range t {
			if m, ok := e.(map[string]any); ok {
				if n, ok := m["name"].(string); ok {
					if seen[n] {
						return false
					}
					seen[n] = true
				}
			}
			if !isNamedThroughout(e) {
				return false
			}
		}
	}
	return true
}
