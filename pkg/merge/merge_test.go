package merge_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/orkdev/ork/pkg/merge"
)

// m and l keep the tables short.
type m = map[string]any
type l = []any

func TestPatch(t *testing.T) {
	tests := []struct {
		name        string
		base, patch any
		want        any
	}{
		// Maps.
		{
			name:  "maps merge key by key",
			base:  m{"a": 1, "b": 2},
			patch: m{"b": 3, "c": 4},
			want:  m{"a": 1, "b": 3, "c": 4},
		},
		{
			name:  "maps merge recursively",
			base:  m{"spec": m{"replicas": 1, "template": m{"x": "y", "keep": true}}},
			patch: m{"spec": m{"template": m{"x": "z"}}},
			want:  m{"spec": m{"replicas": 1, "template": m{"x": "z", "keep": true}}},
		},
		{
			name:  "empty patch map keeps the base",
			base:  m{"a": m{"b": 1}},
			patch: m{},
			want:  m{"a": m{"b": 1}},
		},
		{
			name:  "empty nested patch map keeps the nested base",
			base:  m{"a": m{"b": 1}},
			patch: m{"a": m{}},
			want:  m{"a": m{"b": 1}},
		},
		{
			name:  "nil base map is created",
			base:  nil,
			patch: m{"a": m{"b": 1}},
			want:  m{"a": m{"b": 1}},
		},
		{
			name:  "typed nil base map is created",
			base:  map[string]any(nil),
			patch: m{"a": 1},
			want:  m{"a": 1},
		},

		// Nulls.
		{
			name:  "explicit nil removes a key",
			base:  m{"a": 1, "b": 2},
			patch: m{"a": nil},
			want:  m{"b": 2},
		},
		{
			name:  "explicit nil removes a whole subtree",
			base:  m{"a": m{"b": m{"c": 1}}, "d": 1},
			patch: m{"a": nil},
			want:  m{"d": 1},
		},
		{
			name:  "explicit nil removes a nested key",
			base:  m{"a": m{"b": 1, "c": 2}},
			patch: m{"a": m{"b": nil}},
			want:  m{"a": m{"c": 2}},
		},
		{
			name:  "nil under a key the base lacks leaves nothing",
			base:  m{"a": 1},
			patch: m{"b": nil},
			want:  m{"a": 1},
		},
		{
			name:  "nil under a nested key the base lacks leaves nothing",
			base:  m{"a": m{"x": 1}},
			patch: m{"a": m{"y": nil, "z": 2}},
			want:  m{"a": m{"x": 1, "z": 2}},
		},
		{
			name:  "nil inside a map the base lacks leaves nothing",
			base:  m{},
			patch: m{"new": m{"gone": nil, "deeper": m{"gone": nil, "kept": 1}}},
			want:  m{"new": m{"deeper": m{"kept": 1}}},
		},
		{
			name:  "nil inside a map that replaces a scalar leaves nothing",
			base:  m{"a": "scalar"},
			patch: m{"a": m{"gone": nil, "kept": 1}},
			want:  m{"a": m{"kept": 1}},
		},
		{
			name:  "nil inside a replacing list's map items leaves nothing",
			base:  m{"args": l{"x"}},
			patch: m{"args": l{m{"gone": nil, "kept": 1}}},
			want:  m{"args": l{m{"kept": 1}}},
		},
		{
			name:  "nil inside a new named item leaves nothing",
			base:  m{"env": l{m{"name": "A", "value": "1"}}},
			patch: m{"env": l{m{"name": "B", "value": "2", "valueFrom": nil}}},
			want:  m{"env": l{m{"name": "A", "value": "1"}, m{"name": "B", "value": "2"}}},
		},

		// Named lists.
		{
			name: "named lists merge by name, keeping order and appending new names",
			base: m{"env": l{
				m{"name": "A", "value": "1"},
				m{"name": "B", "value": "2"},
				m{"name": "C", "value": "3"},
			}},
			patch: m{"env": l{
				m{"name": "D", "value": "4"},
				m{"name": "B", "value": "20"},
			}},
			want: m{"env": l{
				m{"name": "A", "value": "1"},
				m{"name": "B", "value": "20"},
				m{"name": "C", "value": "3"},
				m{"name": "D", "value": "4"},
			}},
		},
		{
			name: "items of the same name merge recursively",
			base: m{"containers": l{m{
				"name":      "app",
				"image":     "app:1",
				"resources": m{"limits": m{"cpu": "1", "memory": "1Gi"}},
				"env":       l{m{"name": "A", "value": "1"}, m{"name": "B", "value": "2"}},
			}}},
			patch: m{"containers": l{m{
				"name":      "app",
				"resources": m{"limits": m{"memory": "2Gi"}},
				"env":       l{m{"name": "B", "value": nil, "valueFrom": m{"secretKeyRef": m{"name": "s"}}}},
			}}},
			want: m{"containers": l{m{
				"name":      "app",
				"image":     "app:1",
				"resources": m{"limits": m{"cpu": "1", "memory": "2Gi"}},
				"env": l{
					m{"name": "A", "value": "1"},
					m{"name": "B", "valueFrom": m{"secretKeyRef": m{"name": "s"}}},
				},
			}}},
		},
		{
			name:  "$patch delete removes the named item",
			base:  m{"env": l{m{"name": "A"}, m{"name": "B"}, m{"name": "C"}}},
			patch: m{"env": l{m{"name": "B", "$patch": "delete"}}},
			want:  m{"env": l{m{"name": "A"}, m{"name": "C"}}},
		},
		{
			name:  "$patch delete of every item leaves an empty list",
			base:  m{"env": l{m{"name": "A"}}},
			patch: m{"env": l{m{"name": "A", "$patch": "delete"}}},
			want:  m{"env": l{}},
		},
		{
			name:  "$patch delete of an absent name does nothing",
			base:  m{"env": l{m{"name": "A", "value": "1"}}},
			patch: m{"env": l{m{"name": "Z", "$patch": "delete"}}},
			want:  m{"env": l{m{"name": "A", "value": "1"}}},
		},
		{
			name:  "$patch delete with no base list leaves no $patch behind",
			base:  m{},
			patch: m{"env": l{m{"name": "Z", "$patch": "delete"}, m{"name": "A"}}},
			want:  m{"env": l{m{"name": "A"}}},
		},
		{
			name:  "$patch delete against a scalar list leaves no $patch behind",
			base:  m{"env": l{"x", "y"}},
			patch: m{"env": l{m{"name": "Z", "$patch": "delete"}}},
			want:  m{"env": l{}},
		},
		{
			name:  "$patch delete inside a new named item leaves no $patch behind",
			base:  m{"containers": l{m{"name": "app"}}},
			patch: m{"containers": l{m{"name": "sidecar", "env": l{m{"name": "X", "$patch": "delete"}, m{"name": "Y"}}}}},
			want:  m{"containers": l{m{"name": "app"}, m{"name": "sidecar", "env": l{m{"name": "Y"}}}}},
		},
		{
			name:  "delete then re-add the same name",
			base:  m{"env": l{m{"name": "A", "value": "old", "extra": true}, m{"name": "B"}}},
			patch: m{"env": l{m{"name": "A", "$patch": "delete"}, m{"name": "A", "value": "new"}}},
			want:  m{"env": l{m{"name": "B"}, m{"name": "A", "value": "new"}}},
		},
		{
			name:  "nested named lists merge by name",
			base:  m{"containers": l{m{"name": "app", "ports": l{m{"name": "http", "containerPort": 80}}}}},
			patch: m{"containers": l{m{"name": "app", "ports": l{m{"name": "http", "containerPort": 8080}, m{"name": "metrics", "containerPort": 9090}}}}},
			want:  m{"containers": l{m{"name": "app", "ports": l{m{"name": "http", "containerPort": 8080}, m{"name": "metrics", "containerPort": 9090}}}}},
		},
		{
			name:  "named patch list onto an empty base list",
			base:  m{"env": l{}},
			patch: m{"env": l{m{"name": "A"}}},
			want:  m{"env": l{m{"name": "A"}}},
		},

		// Lists that replace.
		{
			name:  "an empty patch list replaces a named list",
			base:  m{"env": l{m{"name": "A"}, m{"name": "B"}}},
			patch: m{"env": l{}},
			want:  m{"env": l{}},
		},
		{
			name:  "an empty patch list replaces a scalar list",
			base:  m{"args": l{"a"}},
			patch: m{"args": l{}},
			want:  m{"args": l{}},
		},
		{
			name:  "a patch item without a name replaces",
			base:  m{"env": l{m{"name": "A"}, m{"name": "B"}}},
			patch: m{"env": l{m{"name": "C"}, m{"value": "no name"}}},
			want:  m{"env": l{m{"name": "C"}, m{"value": "no name"}}},
		},
		{
			name:  "a base item without a name makes the patch replace",
			base:  m{"env": l{m{"name": "A"}, m{"value": "no name"}}},
			patch: m{"env": l{m{"name": "B"}}},
			want:  m{"env": l{m{"name": "B"}}},
		},
		{
			name:  "a non-string name replaces",
			base:  m{"ports": l{m{"name": "a"}}},
			patch: m{"ports": l{m{"name": 1}}},
			want:  m{"ports": l{m{"name": 1}}},
		},
		{
			name:  "a scalar item among named items replaces",
			base:  m{"env": l{m{"name": "A"}}},
			patch: m{"env": l{m{"name": "B"}, "x"}},
			want:  m{"env": l{m{"name": "B"}, "x"}},
		},
		{
			name:  "scalar lists replace",
			base:  m{"args": l{"a", "b", "c"}},
			patch: m{"args": l{"d"}},
			want:  m{"args": l{"d"}},
		},
		{
			name:  "lists of lists replace",
			base:  m{"x": l{l{1}, l{2}}},
			patch: m{"x": l{l{3}}},
			want:  m{"x": l{l{3}}},
		},
		{
			name:  "a top-level scalar list replaces",
			base:  l{1, 2},
			patch: l{3},
			want:  l{3},
		},

		// Scalars and type changes.
		{
			name:  "scalars replace",
			base:  m{"s": "a", "i": int64(1), "f": 1.5, "b": true},
			patch: m{"s": "b", "i": int64(2), "f": 2.5, "b": false},
			want:  m{"s": "b", "i": int64(2), "f": 2.5, "b": false},
		},
		{
			name:  "a top-level scalar replaces",
			base:  "a",
			patch: "b",
			want:  "b",
		},
		{
			name:  "map to scalar",
			base:  m{"a": m{"b": 1}},
			patch: m{"a": "flat"},
			want:  m{"a": "flat"},
		},
		{
			name:  "scalar to map",
			base:  m{"a": "flat"},
			patch: m{"a": m{"b": 1}},
			want:  m{"a": m{"b": 1}},
		},
		{
			name:  "map to list",
			base:  m{"a": m{"b": 1}},
			patch: m{"a": l{1}},
			want:  m{"a": l{1}},
		},
		{
			name:  "list to map",
			base:  m{"a": l{m{"name": "x"}}},
			patch: m{"a": m{"name": "x"}},
			want:  m{"a": m{"name": "x"}},
		},
		{
			name:  "scalar to named list",
			base:  m{"a": 1},
			patch: m{"a": l{m{"name": "x"}}},
			want:  m{"a": l{m{"name": "x"}}},
		},
		{
			name:  "a top-level map replaces a top-level scalar",
			base:  "a",
			patch: m{"k": "v"},
			want:  m{"k": "v"},
		},
		{
			name:  "a top-level scalar replaces a top-level map",
			base:  m{"k": "v"},
			patch: int64(3),
			want:  int64(3),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			patch := merge.Copy(tt.patch)
			got := merge.Patch(merge.Copy(tt.base), tt.patch)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Patch(%s, %s)\n got %s\nwant %s", show(tt.base), show(patch), show(got), show(tt.want))
			}
			if !reflect.DeepEqual(tt.patch, patch) {
				t.Errorf("Patch modified its patch:\n got %s\nwant %s", show(tt.patch), show(patch))
			}
		})
	}
}

// TestPatchLongNamedLists: lists of more than 16 items find names through
// a map, shorter ones by a search (nameIndex); both must merge into the
// last item of a name, as a map from name to its last position does, also
// when the base repeats a name, and when a patch deletes an item and adds
// it again.
func TestPatchLongNamedLists(t *testing.T) {
	items := func(n int, dup, at int) l {
		var out l
		for i := range n {
			name := fmt.Sprintf("n%d", i)
			if i == at {
				name = fmt.Sprintf("n%d", dup)
			}
			out = append(out, m{"name": name, "v": i})
		}
		return out
	}
	for _, size := range []int{10, 20} {
		// n3 at 3 and at size-2: the patch merges into the second.
		base := items(size, 3, size-2)
		t.Run(fmt.Sprintf("%d items, a name twice", size), func(t *testing.T) {
			got := merge.Patch(merge.Copy(base), l{m{"name": "n3", "v": "patched"}}).(l)
			for i, item := range got {
				v := item.(m)["v"]
				if want := base[i].(m)["v"]; i == size-2 {
					want = "patched"
					if v != want {
						t.Errorf("item %d: v = %v, want %v", i, v, want)
					}
				} else if v != want {
					t.Errorf("item %d: v = %v, want %v (unchanged)", i, v, want)
				}
			}
		})
		t.Run(fmt.Sprintf("%d items, deleted and added again", size), func(t *testing.T) {
			base := items(size, -1, -1)
			got := merge.Patch(merge.Copy(base), l{
				m{"name": "n1", "$patch": "delete"},
				m{"name": "n1", "v": "again"},
				m{"name": "n1", "w": "merged"},
			}).(l)
			if len(got) != size {
				t.Fatalf("got %d items, want %d", len(got), size)
			}
			last := got[len(got)-1].(m)
			if want := (m{"name": "n1", "v": "again", "w": "merged"}); !reflect.DeepEqual(last, want) {
				t.Errorf("last item = %v, want %v (n1 deleted, then added at the end and merged into)", last, want)
			}
			if got[1].(m)["name"] != "n2" {
				t.Errorf("item 1 = %v, want n2 (n1 removed from its place)", got[1])
			}
		})
	}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

func TestPatchDoesNotModifyPatch(t *testing.T) {
	patch := m{
		"metadata": m{"labels": m{"tier": "web", "gone": nil}},
		"spec": m{
			"replicas": int64(3),
			"args":     l{"--verbose", l{"nested"}},
			"containers": l{
				m{"name": "app", "image": "app:2", "env": l{m{"name": "A", "value": "2"}, m{"name": "B", "$patch": "delete"}}},
				m{"name": "sidecar", "image": "proxy:1", "ports": l{m{"name": "http", "containerPort": int64(80)}}},
			},
		},
	}
	want := merge.Copy(patch)

	bases := []any{
		nil,
		m{},
		m{"metadata": m{"labels": m{"gone": "x"}}, "spec": m{"args": l{"x"}, "containers": l{
			m{"name": "app", "image": "app:1", "env": l{m{"name": "A", "value": "1"}, m{"name": "B", "value": "1"}}},
		}}},
		m{"spec": "not a map"},
		m{"spec": m{"containers": l{"not", "named"}}},
	}
	var results []any
	for _, base := range bases {
		results = append(results, merge.Patch(merge.Copy(base), patch))
		if !reflect.DeepEqual(patch, want) {
			t.Fatalf("Patch(%s, patch) modified the patch:\n got %s\nwant %s", show(base), show(patch), show(want))
		}
	}
	// Applying the patch twice to equal bases gives equal results.
	again := merge.Patch(merge.Copy(bases[2]), patch)
	if !reflect.DeepEqual(again, results[2]) {
		t.Errorf("the same patch gave different results:\n%s\n%s", show(results[2]), show(again))
	}

	// No result shares memory with the patch: scribbling over every map and
	// list of every result leaves the patch as it was.
	for _, r := range results {
		scribble(r)
	}
	if !reflect.DeepEqual(patch, want) {
		t.Fatalf("mutating a result modified the patch:\n got %s\nwant %s", show(patch), show(want))
	}
}

// scribble overwrites every map entry and list item reachable from v.
func scribble(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			scribble(e)
			t[k] = "scribbled"
		}
		t["scribbled"] = true
	case []any:
		for i, e := range t {
			scribble(e)
			t[i] = "scribbled"
		}
	}
}

func TestPatchReplaceDirective(t *testing.T) {
	base := []any{map[string]any{"name": "a", "x": int64(1), "y": int64(2)}, map[string]any{"name": "b"}}
	patch := []any{map[string]any{"name": "a", "$patch": "replace", "z": int64(3)}, map[string]any{"name": "c", "$patch": "replace"}}
	got := merge.Patch(map[string]any{"l": base}, map[string]any{"l": patch})
	want := map[string]any{"l": []any{map[string]any{"name": "a", "z": int64(3)}, map[string]any{"name": "b"}, map[string]any{"name": "c"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Patch = %#v, want %#v", got, want)
	}
	if _, ok := patch[0].(map[string]any)["$patch"]; !ok {
		t.Errorf("the patch was modified")
	}
}
