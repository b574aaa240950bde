package schema

import (
	"strings"
	"testing"
)

// TestFieldNotAllowedSuggests checks that a misspelt field of a closed
// struct names the closest allowed field, and only when one is close.
func TestFieldNotAllowedSuggests(t *testing.T) {
	v := New()
	container := func(extra map[string]any) map[string]any {
		c := map[string]any{"name": "app", "image": "app:1"}
		for k, e := range extra {
			c[k] = e
		}
		return c
	}
	deployment := func(spec map[string]any) map[string]any {
		base := map[string]any{
			"selector": map[string]any{"matchLabels": map[string]any{"app": "a"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "a"}},
				"spec":     map[string]any{"containers": []any{container(nil)}},
			},
		}
		for k, e := range spec {
			base[k] = e
		}
		return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "d"}, "spec": base}
	}
	for _, tt := range []struct {
		name string
		obj  map[string]any
		want string // the violation, path: message
	}{
		{"spec field", deployment(map[string]any{"replcas": int64(2)}), "spec.replcas: field not allowed; did you mean replicas?"},
		{"list item field", deployment(map[string]any{"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": "a"}},
			"spec":     map[string]any{"containers": []any{container(map[string]any{"imagePullPolcy": "Always"})}},
		}}), "spec.template.spec.containers.0.imagePullPolcy: field not allowed; did you mean imagePullPolicy?"},
		{"top level", map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}, "dta": map[string]any{}}, "dta: field not allowed; did you mean data?"},
		{"nothing close", deployment(map[string]any{"colour": "blue"}), "spec.colour: field not allowed"},
	} {
		results, err := v.Complete([]map[string]any{tt.obj})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, vi := range results[0].Violations {
			got = append(got, vi.Error())
		}
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s: violations\n%s\nwant\n%s", tt.name, strings.Join(got, "\n"), tt.want)
		}
	}
}
