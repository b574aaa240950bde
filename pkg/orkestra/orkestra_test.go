package orkestra

import (
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - {name: v1, served: true, storage: true}
    - {name: v0, served: false, storage: false}
`

func decode(t *testing.T, docs ...string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, d := range docs {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func katalog(entries string) string {
	return "apiVersion: orkestra.orkspace.io/v1\nkind: Katalog\nmetadata: {name: k}\nspec:\n  crds:\n" + entries
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name       string
		entries    string
		preApplied []string
		want       []string // "path: message start"
	}{
		{"matching CRD", `    w: {apiTypes: {group: example.com, version: v1, kind: Widget, plural: widgets}}`, nil, nil},
		{"built-in kind", `    p: {apiTypes: {kind: Pod}, labelSelector: {app: x}}`, nil, nil},
		{"apps group", `    d: {apiTypes: {group: apps, version: v1, kind: Deployment, plural: deployments}}`, nil, nil},
		{"missing CRD", `    g: {apiTypes: {group: other.com, version: v1, kind: Gadget, plural: gadgets}}`, nil,
			[]string{"spec.crds.g.apiTypes: no CustomResourceDefinition gadgets.other.com in the bundle"}},
		{"pre-applied CRD", `    g: {apiTypes: {group: other.com, version: v1, kind: Gadget, plural: gadgets}}`, []string{"gadgets.other.com"}, nil},
		{"no plural", `    w: {apiTypes: {group: example.com, version: v1, kind: Widget}}`, nil,
			[]string{"spec.crds.w.apiTypes: apiTypes.plural is missing"}},
		{"wrong kind", `    w: {apiTypes: {group: example.com, version: v1, kind: Gizmo, plural: widgets}}`, nil,
			[]string{`spec.crds.w.apiTypes.kind: kind "Gizmo", but CustomResourceDefinition widgets.example.com defines kind "Widget"`}},
		{"version not served", `    w: {apiTypes: {group: example.com, version: v0, kind: Widget, plural: widgets}}`, nil,
			[]string{`spec.crds.w.apiTypes.version: version "v0" is not served by CustomResourceDefinition widgets.example.com (served: v1)`}},
		{"scope", `    w: {namespaced: false, apiTypes: {group: example.com, version: v1, kind: Widget, plural: widgets}}`, nil,
			[]string{"spec.crds.w.namespaced: namespaced is false"}},
		{"typed without location", `    p: {mode: typed, apiTypes: {kind: Pod}}`, nil,
			[]string{"spec.crds.p.mode: mode is typed but apiTypes.location is missing"}},
		{"typed with location", `    p: {mode: typed, apiTypes: {kind: Pod, location: example.com/api}}`, nil, nil},
		{"hooks without location", `    p: {apiTypes: {kind: Pod}, operatorBox: {reconciler: {hooks: {location: x, function: F}}}}`, nil,
			[]string{"spec.crds.p.operatorBox.reconciler.hooks: reconciler.hooks needs a typed entry"}},
		{"dependsOn list", "    a: {apiTypes: {kind: Pod}, dependsOn: [b]}\n    b: {apiTypes: {kind: Pod}}", nil, nil},
		{"dependsOn unknown (list)", "    a: {apiTypes: {kind: Pod}, dependsOn: [b, c]}\n    b: {apiTypes: {kind: Pod}}", nil,
			[]string{`spec.crds.a.dependsOn.1: "c" is no entry of spec.crds (entries: a, b)`}},
		{"dependsOn unknown (map)", "    a: {apiTypes: {kind: Pod}, dependsOn: {c: healthy}}", nil,
			[]string{`spec.crds.a.dependsOn.c: "c" is no entry of spec.crds (entries: a)`}},
		{"dependsOn self", "    a: {apiTypes: {kind: Pod}, dependsOn: [a]}", nil,
			[]string{"spec.crds.a.dependsOn: cycle a -> a"}},
		{"dependsOn cycle", "    a: {apiTypes: {kind: Pod}, dependsOn: [b]}\n    b: {apiTypes: {kind: Pod}, dependsOn: {c: {condition: healthy}}}\n    c: {apiTypes: {kind: Pod}, dependsOn: [a]}\n    d: {apiTypes: {kind: Pod}, dependsOn: [a]}", nil,
			[]string{"spec.crds.a.dependsOn: cycle a -> b -> c -> a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := decode(t, widgetCRD, katalog(tt.entries))
			var got []string
			for _, p := range Check(ms, tt.preApplied) {
				if p.Index != 1 {
					t.Errorf("problem in manifest %d, want 1", p.Index)
				}
				got = append(got, strings.Join(p.Path, ".")+": "+p.Msg)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %d:\n%s\nwant it to start with:\n%s", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestCheckAPIVersion(t *testing.T) {
	ms := decode(t, "apiVersion: orkestra.orcra.io/v1\nkind: Katalog\nmetadata: {name: k}\nspec: {}\n")
	got := Check(ms, nil)
	if len(got) != 1 || !slices.Equal(got[0].Path, []string{"apiVersion"}) || !strings.Contains(got[0].Msg, "reads only apiVersion orkestra.orkspace.io/v1") {
		t.Errorf("got %+v", got)
	}
}

func TestCheckOtherKatalogKinds(t *testing.T) {
	// Another operator's kind Katalog is none of Orkestra's business.
	ms := decode(t, "apiVersion: catalog.example.com/v1\nkind: Katalog\nmetadata: {name: k}\nspec: {crds: [1]}\n")
	if got := Check(ms, nil); len(got) != 0 {
		t.Errorf("got %+v", got)
	}
}

func TestFindCycleIsStable(t *testing.T) {
	edges := map[string][]string{"z": {"y"}, "y": {"z"}, "b": {"a"}, "a": {"b"}}
	for range 20 {
		if got := findCycle(edges); !slices.Equal(got, []string{"a", "b", "a"}) {
			t.Fatalf("cycle %v, want a -> b -> a", got)
		}
	}
}
