package compose

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/orkdev/ork/pkg/manifest"
)

// traced merges layers (one YAML document each, named l1.yaml, l2.yaml, …)
// as an explaining build does.
func traced(t *testing.T, layers ...string) *trace {
	t.Helper()
	var target Target
	tr := &tracer{byID: map[manifest.ID]*trace{}}
	var obj map[string]any
	for i, y := range layers {
		docs, err := manifest.Decode(fmt.Sprintf("l%d.yaml", i+1), fmt.Sprintf("layer%d", i+1), []byte(y))
		if err != nil || len(docs) != 1 {
			t.Fatalf("layer %d: %v", i+1, err)
		}
		if i == 0 {
			id := docs[0].ID
			target = Target{Kind: id.Kind, Name: id.Name, Namespace: id.Namespace, HasNamespace: true}
			tr.target = target
		}
		obj, _ = tr.patch(obj, docs[0]).(map[string]any)
	}
	for _, x := range tr.byID {
		return x
	}
	t.Fatal("nothing traced")
	return nil
}

// brief formats a step as "action path value (was previous) at line:col".
func brief(s Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", s.Action, s.Path)
	if s.Value != nil && s.Action != "added" {
		b.WriteString(" " + show(s.Value))
	}
	if s.Previous != nil {
		b.WriteString(" (was " + show(s.Previous) + ")")
	}
	fmt.Fprintf(&b, " at %s:%d:%d", s.File, s.Line, s.Column)
	return b.String()
}

const base = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: app
          image: web:1
          env:
            - {name: A, value: "1"}
            - {name: B, value: "2"}
`

func TestLayerSteps(t *testing.T) {
	tests := []struct {
		name   string
		layers []string
		path   string
		want   []string
	}{
		{
			name:   "set in the base",
			layers: []string{base},
			path:   "spec.replicas",
			want:   []string{"set spec.replicas 1 at l1.yaml:5:13"},
		},
		{
			name: "overridden twice",
			layers: []string{base,
				"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: {replicas: 2}\n",
				"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 3\n"},
			path: "spec.replicas",
			want: []string{"set spec.replicas 1 at l1.yaml:5:13", "changed spec.replicas 2 (was 1) at l2.yaml:4:18", "changed spec.replicas 3 (was 2) at l3.yaml:5:13"},
		},
		{
			name:   "set again to the same value",
			layers: []string{base, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: {replicas: 1}\n"},
			path:   "spec.replicas",
			want:   []string{"set spec.replicas 1 at l1.yaml:5:13", "unchanged spec.replicas 1 at l2.yaml:4:18"},
		},
		{
			name:   "deleted with null",
			layers: []string{base, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: {replicas: null}\n"},
			path:   "spec.replicas",
			want:   []string{"set spec.replicas 1 at l1.yaml:5:13", "deleted spec.replicas (was 1) at l2.yaml:4:18"},
		},
		{
			name:   "a parent deleted",
			layers: []string{base, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: {template: null}\n"},
			path:   "spec.template.spec.containers[name=app].image",
			want: []string{"set spec.template.spec.containers[name=app].image \"web:1\" at l1.yaml:10:18",
				`deleted spec.template (was {"spec":{"containers":[{"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"web:1","name":"app"}]}}) at l2.yaml:4:18`},
		},
		{
			name: "merged in a named list",
			layers: []string{base, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: app
          env:
            - {name: B, value: "3"}
            - {name: A, $patch: delete}
            - {name: C, value: "4"}
`},
			path: "spec.template.spec.containers[name=app].env",
			want: []string{
				"added spec.template.spec.containers[name=app].env at l1.yaml:12:13",
				`changed spec.template.spec.containers[name=app].env[name=B].value "3" (was "2") at l2.yaml:10:32`,
				`deleted spec.template.spec.containers[name=app].env[name=A] (was {"name":"A","value":"1"}) at l2.yaml:11:15`,
				`added spec.template.spec.containers[name=app].env[name=C] at l2.yaml:12:15`,
			},
		},
		{
			name: "an item replaced",
			layers: []string{base, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
        - {name: app, $patch: replace, image: web:2}
`},
			path: "spec.template.spec.containers[name=app].image",
			want: []string{
				`set spec.template.spec.containers[name=app].image "web:1" at l1.yaml:10:18`,
				`replaced spec.template.spec.containers[name=app] (was {"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"web:1","name":"app"}) at l2.yaml:8:11`,
				`changed spec.template.spec.containers[name=app].image "web:2" (was "web:1") at l2.yaml:8:47`,
			},
		},
		{
			name:   "the whole manifest: added, then each change",
			layers: []string{base, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, labels: {a: b}}\n"},
			path:   "",
			want:   []string{"added  at l1.yaml:1:1", `added metadata.labels at l2.yaml:3:48`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := traced(t, tt.layers...)
			path, err := ParseFieldPath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range tr.layerSteps(path) {
				got = append(got, brief(s))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("steps:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
		})
	}
}

func TestChanges(t *testing.T) {
	type m = map[string]any
	type l = []any
	tests := []struct {
		name     string
		old, new any
		path     string
		want     []string
	}{
		{"nothing", m{"a": 1}, m{"a": int64(1)}, "", nil},
		{"a default filled", m{"spec": m{}}, m{"spec": m{"replicas": 1}}, "", []string{"spec.replicas: <nil> -> 1"}},
		{"below the path only", m{"a": 1, "b": m{"c": 1}}, m{"a": 2, "b": m{"c": 2}}, "b", []string{"b.c: 1 -> 2"}},
		{"named items by name", m{"l": l{m{"name": "x", "p": "TCP"}}}, m{"l": l{m{"name": "x", "p": "UDP"}}}, "", []string{`l[name=x].p: "TCP" -> "UDP"`}},
		{"other lists whole", m{"l": l{1, 2}}, m{"l": l{1, 3}}, "", []string{"l: [1,2] -> [1,3]"}},
		{"a domain map resolved", m{"domain": m{"default": "a", "environment": "b"}}, m{"domain": "b"}, "", []string{`domain: {"default":"a","environment":"b"} -> "b"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, _ := ParseFieldPath(tt.path)
			var got []string
			for _, c := range changes(path, tt.old, tt.new) {
				got = append(got, fmt.Sprintf("%s: %s -> %s", c.path, showNil(c.old), showNil(c.new)))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("changes = %q, want %q", got, tt.want)
			}
		})
	}
}

func showNil(v any) string {
	if v == nil {
		return "<nil>"
	}
	return show(v)
}
