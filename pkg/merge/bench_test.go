package merge_test

import (
	"fmt"
	"testing"

	"github.com/orkdev/ork/pkg/merge"
)

// deployment is a base Deployment as a source would hold it.
func deployment() map[string]any {
	var env []any
	for i := range 30 {
		env = append(env, m{"name": fmt.Sprintf("VAR_%02d", i), "value": fmt.Sprintf("value-%d", i)})
	}
	return m{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata": m{
			"name":      "hello-world",
			"namespace": "apps",
			"labels":    m{"app.kubernetes.io/name": "hello-world", "app.kubernetes.io/part-of": "orkestra"},
		},
		"spec": m{
			"replicas": int64(1),
			"selector": m{"matchLabels": m{"app.kubernetes.io/name": "hello-world"}},
			"template": m{
				"metadata": m{"labels": m{"app.kubernetes.io/name": "hello-world"}},
				"spec": m{
					"containers": l{
						m{
							"name":  "app",
							"image": "registry.example.com/hello-world:1.0.0",
							"args":  l{"--port=8080", "--log-level=info"},
							"env":   env,
							"ports": l{m{"name": "http", "containerPort": int64(8080)}, m{"name": "metrics", "containerPort": int64(9090)}},
							"resources": m{
								"requests": m{"cpu": "100m", "memory": "128Mi"},
								"limits":   m{"cpu": "500m", "memory": "256Mi"},
							},
							"readinessProbe": m{"httpGet": m{"path": "/healthz", "port": "http"}},
						},
						m{
							"name":  "proxy",
							"image": "registry.example.com/proxy:2.3.1",
							"ports": l{m{"name": "proxy", "containerPort": int64(15001)}},
						},
					},
					"volumes": l{m{"name": "config", "configMap": m{"name": "hello-world"}}},
				},
			},
		},
	}
}

// overlay is a production overlay of that Deployment.
func overlay() map[string]any {
	return m{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   m{"name": "hello-world", "namespace": "apps", "annotations": m{"ork.dev/tier": "gold"}},
		"spec": m{
			"replicas": int64(3),
			"template": m{"spec": m{
				"containers": l{
					m{
						"name":  "app",
						"image": "registry.example.com/hello-world:1.2.0",
						"env": l{
							m{"name": "VAR_03", "value": "production"},
							m{"name": "VAR_07", "$patch": "delete"},
							m{"name": "VAR_11", "value": nil, "valueFrom": m{"secretKeyRef": m{"name": "hello", "key": "token"}}},
							m{"name": "NEW_VAR", "value": "added"},
						},
						"resources": m{"limits": m{"cpu": "2", "memory": "1Gi"}},
					},
					m{"name": "proxy", "$patch": "delete"},
				},
				"volumes": l{m{"name": "cache", "emptyDir": m{}}},
			}},
		},
	}
}

func BenchmarkPatch(b *testing.B) {
	p := overlay()
	bases := make([]any, b.N)
	for i := range bases {
		bases[i] = deployment()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		merge.Patch(bases[i], p)
	}
}

// TestBenchmarkOverlay checks that the benchmark measures a merge that
// does what it claims.
func TestBenchmarkOverlay(t *testing.T) {
	got := merge.Patch(deployment(), overlay()).(map[string]any)
	spec := got["spec"].(map[string]any)
	if spec["replicas"] != int64(3) {
		t.Errorf("replicas = %v, want 3", spec["replicas"])
	}
	podSpec := spec["template"].(map[string]any)["spec"].(map[string]any)
	containers := podSpec["containers"].([]any)
	if len(containers) != 1 {
		t.Fatalf("got %d containers, want 1 (proxy deleted)", len(containers))
	}
	app := containers[0].(map[string]any)
	env := app["env"].([]any)
	if len(env) != 30 {
		t.Errorf("got %d env vars, want 30 (30 - 1 deleted + 1 new)", len(env))
	}
	if last := env[len(env)-1].(map[string]any); last["name"] != "NEW_VAR" {
		t.Errorf("last env var = %v, want NEW_VAR appended", last["name"])
	}
	for _, e := range env {
		e := e.(map[string]any)
		switch e["name"] {
		case "VAR_07":
			t.Errorf("VAR_07 was not deleted")
		case "VAR_11":
			if _, ok := e["value"]; ok {
				t.Errorf("VAR_11 kept its value: %v", e)
			}
		}
	}
	limits := app["resources"].(map[string]any)["limits"].(map[string]any)
	requests := app["resources"].(map[string]any)["requests"].(map[string]any)
	if limits["memory"] != "1Gi" || requests["memory"] != "128Mi" {
		t.Errorf("resources = %v", app["resources"])
	}
	if vols := podSpec["volumes"].([]any); len(vols) != 2 {
		t.Errorf("got %d volumes, want 2", len(vols))
	}
}
