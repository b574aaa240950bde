package plan

import (
	"reflect"
	"testing"
)

func TestMaskAt(t *testing.T) {
	deploy := ID{Group: "apps", Kind: "Deployment", Namespace: "a", Name: "b"}
	secret := ID{Kind: "Secret", Namespace: "a", Name: "s"}
	container := []string{"spec", "template", "spec", "containers", "name=app"}
	tests := []struct {
		name string
		id   ID
		path []string
		v    any
		want any
	}{
		{"a plain value", deploy, []string{"spec", "replicas"}, int64(3), int64(3)},
		{"a password key", deploy, []string{"spec", "password"}, "hunter2", Masked},
		{"a secret reference stays", deploy, []string{"spec", "password"}, "${secrets.DB}", "${secrets.DB}"},
		{"an env var named for a secret", deploy, append(container, "env", "name=DB_PASSWORD", "value"), "hunter2", Masked},
		{"an env var that is not", deploy, append(container, "env", "name=DB_HOST", "value"), "db", "db"},
		{"the env item whole", deploy, append(container, "env", "name=DB_PASSWORD"), map[string]any{"name": "DB_PASSWORD", "value": "x"}, map[string]any{"name": "DB_PASSWORD", "value": Masked}},
		{"a named list whole", deploy, append(container, "env"), []any{map[string]any{"name": "API_TOKEN", "value": "x"}}, []any{map[string]any{"name": "API_TOKEN", "value": Masked}}},
		{"a Secret's data", secret, []string{"data", "key"}, "c2VjcmV0", Masked},
		{"a Secret's data whole", secret, []string{"data"}, map[string]any{"key": "c2VjcmV0"}, map[string]any{"key": Masked}},
		{"a whole Secret", secret, nil, map[string]any{"kind": "Secret", "data": map[string]any{"k": "v"}}, map[string]any{"kind": "Secret", "data": map[string]any{"k": Masked}}},
		{"an index into args", deploy, append(container, "args", "0"), "--token=x", "--token=x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskAt(tt.id, tt.path, tt.v); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MaskAt(%v) = %#v, want %#v", tt.path, got, tt.want)
			}
		})
	}
}
