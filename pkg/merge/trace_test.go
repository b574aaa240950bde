package merge_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/orkdev/ork/pkg/merge"
)

// ev formats an event compactly for the tables: "op path value".
func ev(e merge.Event) string {
	return fmt.Sprintf("%s %s %s", e.Op, e.Path, show(e.Value))
}

func TestTrace(t *testing.T) {
	tests := []struct {
		name        string
		base, patch any
		want        []string
	}{
		{
			name:  "a first layer sets every leaf, keys in sorted order",
			base:  nil,
			patch: m{"spec": m{"replicas": 1, "paused": false}, "kind": "Deployment"},
			want:  []string{"set kind \"Deployment\"", "set spec.paused false", "set spec.replicas 1"},
		},
		{
			name:  "an override sets the leaf again",
			base:  m{"spec": m{"replicas": 1, "paused": false}},
			patch: m{"spec": m{"replicas": 3}},
			want:  []string{"set spec.replicas 3"},
		},
		{
			name:  "null deletes what was there",
			base:  m{"spec": m{"replicas": 1, "paused": false}},
			patch: m{"spec": m{"replicas": nil}},
			want:  []string{"delete spec.replicas 1"},
		},
		{
			name:  "null deletes a whole subtree",
			base:  m{"spec": m{"strategy": m{"type": "Recreate"}}},
			patch: m{"spec": m{"strategy": nil}},
			want:  []string{`delete spec.strategy {"type":"Recreate"}`},
		},
		{
			name:  "null under a key the base lacks is no change",
			base:  m{"spec": m{}},
			patch: m{"spec": m{"replicas": nil}},
			want:  nil,
		},
		{
			name:  "named lists merge item by item",
			base:  m{"containers": l{m{"name": "app", "image": "a:1"}, m{"name": "proxy", "image": "p:1"}}},
			patch: m{"containers": l{m{"name": "app", "image": "a:2"}}},
			want:  []string{"set containers[name=app].image \"a:2\"", "set containers[name=app].name \"app\""},
		},
		{
			name:  "a new named item sets its leaves",
			base:  m{"env": l{m{"name": "A", "value": "1"}}},
			patch: m{"env": l{m{"name": "B", "value": "2"}}},
			want:  []string{"set env[name=B].name \"B\"", "set env[name=B].value \"2\""},
		},
		{
			name:  "$patch delete removes an item",
			base:  m{"env": l{m{"name": "A", "value": "1"}, m{"name": "B"}}},
			patch: m{"env": l{m{"name": "A", "$patch": "delete"}}},
			want:  []string{`delete env[name=A] {"name":"A","value":"1"}`},
		},
		{
			name:  "$patch delete of an absent item is no change",
			base:  m{"env": l{m{"name": "A"}}},
			patch: m{"env": l{m{"name": "Z", "$patch": "delete"}}},
			want:  nil,
		},
		{
			name:  "$patch replace discards the item, then sets what it writes",
			base:  m{"env": l{m{"name": "A", "value": "1", "x": true}}},
			patch: m{"env": l{m{"name": "A", "$patch": "replace", "value": "2"}}},
			want:  []string{`replace env[name=A] {"name":"A","value":"1","x":true}`, "set env[name=A].name \"A\"", "set env[name=A].value \"2\""},
		},
		{
			name:  "other lists are set whole",
			base:  m{"args": l{"a", "b"}},
			patch: m{"args": l{"c"}},
			want:  []string{`set args ["c"]`},
		},
		{
			name:  "a replacing list of maps is set without its nulls",
			base:  nil,
			patch: m{"items": l{m{"a": 1, "b": nil}}},
			want:  []string{`set items [{"a":1}]`},
		},
		{
			name:  "an empty list is set, even over a named list",
			base:  m{"env": l{m{"name": "A"}}},
			patch: m{"env": l{}},
			want:  []string{"set env []"},
		},
		{
			name:  "a named list over a scalar list replaces it",
			base:  m{"ports": l{80}},
			patch: m{"ports": l{m{"name": "http"}}},
			want:  []string{"replace ports [80]", "set ports[name=http].name \"http\""},
		},
		{
			name:  "a map over a scalar replaces it",
			base:  m{"domain": "x.dev"},
			patch: m{"domain": m{"default": "a", "environment": "b"}},
			want:  []string{`replace domain "x.dev"`, `set domain.default "a"`, `set domain.environment "b"`},
		},
		{
			name:  "an empty map is set where there was none",
			base:  m{},
			patch: m{"emptyDir": m{}},
			want:  []string{"set emptyDir {}"},
		},
		{
			name:  "an empty map over a map changes nothing",
			base:  m{"emptyDir": m{"medium": "Memory"}},
			patch: m{"emptyDir": m{}},
			want:  nil,
		},
		{
			name:  "a scalar over a map is set",
			base:  m{"a": m{"b": 1}},
			patch: m{"a": 2},
			want:  []string{"set a 2"},
		},
		{
			name:  "a nil map as the base is no base",
			base:  map[string]any(nil),
			patch: m{"a": 1},
			want:  []string{"set a 1"},
		},
		{
			name:  "a top-level scalar",
			base:  m{"a": 1},
			patch: "x",
			want:  []string{`set  "x"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var events []merge.Event
			result := merge.Trace(merge.Copy(tt.base), tt.patch, func(e merge.Event) {
				got = append(got, ev(e))
				events = append(events, e)
			})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
			if want := merge.Patch(merge.Copy(tt.base), tt.patch); !reflect.DeepEqual(result, want) {
				t.Errorf("Trace = %s, Patch = %s", show(result), show(want))
			}
			if replayed := replay(merge.Copy(tt.base), events); !reflect.DeepEqual(replayed, result) {
				t.Errorf("the events replayed give %s, the merge %s", show(replayed), show(result))
			}
		})
	}
}

func TestPathString(t *testing.T) {
	p := merge.Path{{Key: "spec"}, {Key: "containers"}, {Name: "app", Item: true}, {Key: "image"}}
	if got, want := p.String(), "spec.containers[name=app].image"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := p.Selectors(), []string{"spec", "containers", "name=app", "image"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Selectors() = %q, want %q", got, want)
	}
}

// replay applies events to base by their own meaning, independently of the
// merge: what they describe must be what the merge did.
func replay(base any, events []merge.Event) any {
	root := base
	for _, e := range events {
		root = replayOne(root, e.Path, e)
	}
	return root
}

func replayOne(v any, path merge.Path, e merge.Event) any {
	if len(path) == 0 {
		switch e.Op {
		case merge.Set:
			return merge.Copy(e.Value)
		case merge.Replace:
			return nil // what follows writes the new value
		}
		panic("delete at the root")
	}
	step, rest := path[0], path[1:]
	if !step.Item {
		mv, _ := v.(map[string]any)
		if mv == nil {
			mv = map[string]any{}
		}
		if len(rest) == 0 && e.Op == merge.Delete {
			delete(mv, step.Key)
			return mv
		}
		child := replayOne(mv[step.Key], rest, e)
		if child == nil {
			delete(mv, step.Key)
		} else {
			mv[step.Key] = child
		}
		return mv
	}
	list, _ := v.([]any)
	at := -1
	for i, item := range list {
		if item.(map[string]any)["name"] == step.Name {
			at = i
		}
	}
	if len(rest) == 0 && e.Op == merge.Delete {
		return append(list[:at:at], list[at+1:]...)
	}
	if len(rest) == 0 && e.Op == merge.Replace {
		list[at] = map[string]any{"name": step.Name} // what follows writes the rest
		return list
	}
	if at < 0 {
		list = append(list, map[string]any{"name": step.Name}) // a new item has its name
		at = len(list) - 1
	}
	list[at] = replayOne(list[at], rest, e)
	return list
}
