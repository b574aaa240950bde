package schema

import "testing"

// TestConditionalFieldsReachCUE checks the case a compiled checker cannot
// see: a field required only under a condition (an ExternalName Service
// needs externalName). The checker must not accept what CUE rejects.
func TestConditionalFieldsReachCUE(t *testing.T) {
	v := New()
	for _, tt := range []struct {
		name  string
		spec  map[string]any
		valid bool
	}{
		{"ClusterIP", map[string]any{"ports": []any{map[string]any{"port": int64(80)}}}, true},
		{"ExternalName with externalName", map[string]any{"type": "ExternalName", "externalName": "db.example.com"}, true},
		{"ExternalName without externalName", map[string]any{"type": "ExternalName"}, false},
	} {
		obj := map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "s"}, "spec": tt.spec}
		results, err := v.Complete([]map[string]any{obj})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(results[0].Violations) == 0; got != tt.valid {
			t.Errorf("%s: valid = %v, want %v (%v)", tt.name, got, tt.valid, results[0].Violations)
		}
	}
	if chk, known := v.checker([2]string{"v1", "Service"}); !known || chk == nil {
		t.Errorf("Service is checked by CUE alone; its condition should be guarded, not give up the checker")
	}
}
