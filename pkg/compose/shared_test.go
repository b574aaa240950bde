package compose

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/workload"
)

// sharedFixture has, in a source no overlay touches: a Service without
// templates (shared), a ConfigMap with $ENV, one with a domain map and one
// naming a secret (which stays as written: shared), and a CRD; dev's
// overlay changes the Deployment.
var sharedFixture = map[string]string{
	"komposer.yaml": `apiVersion: ork.dev/v1alpha1
kind: Komposer
metadata: {name: shared}
sources:
  - name: base
    path: ./base
secrets: [TOKEN]
environments:
  - name: dev
    overlays: [./dev]
  - name: staging
  - name: production
    production: true
bundle: {name: shared, namespace: apps}
namespaces: [apps]
`,
	"base/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "registry.example.com/web:1.0.0"}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: env, namespace: apps}
data: {url: "https://web.$ENV.example.com"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: domain, namespace: apps}
data:
  domain: {default: web.example.com, environment: web.$ENV.example.com}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: secret, namespace: apps}
data: {token: "${secrets.TOKEN}"}
`,
	"base/crd.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`,
	"dev/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec: {replicas: 2}
`,
}

func writeFixture(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// bundlesOf builds the environments named (all when none) in one call.
func bundlesOf(t *testing.T, dir string, envs ...string) (map[string][]byte, error) {
	t.Helper()
	v := testValidator()
	k, err := komposer.Load(filepath.Join(dir, "komposer.yaml"), "komposer.yaml", v)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := Bundles(context.Background(), Options{Komposer: k, Validator: v, WorkDir: dir, Environments: envs})
	out := map[string][]byte{}
	for _, b := range bs {
		out[b.Env.Name] = b.Data
	}
	return out, err
}

// TestSharedManifestsSameBytes builds every environment at once, sharing
// the manifests made of the same documents, and each environment alone,
// which shares nothing: the bundles must be the same bytes.
func TestSharedManifestsSameBytes(t *testing.T) {
	projects := map[string]string{"fixture": writeFixture(t, sharedFixture)}
	wl := t.TempDir()
	if err := workload.Write(wl, workload.Size{Services: 30, Environments: 3}); err != nil {
		t.Fatal(err)
	}
	projects["workload 30x3"] = wl
	for name, dir := range projects {
		t.Run(name, func(t *testing.T) {
			all, err := bundlesOf(t, dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) < 3 {
				t.Fatalf("%d bundles", len(all))
			}
			for env, data := range all {
				alone, err := bundlesOf(t, dir, env)
				if err != nil {
					t.Fatal(err)
				}
				if string(alone[env]) != string(data) {
					t.Errorf("%s built with the others differs from %s built alone:\n%s\n---- alone ----\n%s", env, env, data, alone[env])
				}
			}
		})
	}
}

// TestSharedManifestsWhich: what is shared, and what each environment
// makes for itself.
func TestSharedManifestsWhich(t *testing.T) {
	dir := writeFixture(t, sharedFixture)
	v := testValidator()
	k, err := komposer.Load(filepath.Join(dir, "komposer.yaml"), "komposer.yaml", v)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex                      // environments are built in parallel
	shared := map[string]map[string]bool{} // env -> manifest -> shared
	_, err = walk(context.Background(), Options{Komposer: k, Validator: v, share: true}, nil, func(i int, kat *Katalog) error {
		m := map[string]bool{}
		for j, id := range kat.IDs {
			m[id.Kind+"/"+id.Name] = kat.shared != nil && kat.shared[j] != nil
		}
		mu.Lock()
		defer mu.Unlock()
		shared[kat.Env.Name] = m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"Service/web": true, "ConfigMap/secret": true, "CustomResourceDefinition/widgets.example.com": true,
		"ConfigMap/env": false, "ConfigMap/domain": false,
	}
	for env, m := range shared {
		for name, w := range want {
			if m[name] != w {
				t.Errorf("%s: %s shared=%v, want %v", env, name, m[name], w)
			}
		}
		// dev's overlay writes the Deployment: dev's own. The others'
		// Deployment is made of the source's document alone: shared.
		if got, w := m["Deployment/web"], env != "dev"; got != w {
			t.Errorf("%s: Deployment/web shared=%v, want %v", env, got, w)
		}
	}
}

// TestSharedManifestsInvalid: a shared manifest that fails validation is
// reported in every environment, as without sharing.
func TestSharedManifestsInvalid(t *testing.T) {
	files := map[string]string{}
	for k, v := range sharedFixture {
		files[k] = v
	}
	files["base/app.yaml"] = strings.Replace(files["base/app.yaml"], "ports: [{name: http, port: 80}]", "ports: [{name: http, port: 80, protocl: TCP}]", 1)
	dir := writeFixture(t, files)
	_, err := bundlesOf(t, dir)
	if err == nil {
		t.Fatal("the misspelt field built")
	}
	if want := `base/app.yaml:16:43: Service apps/web: spec.ports[name=http].protocl: field not allowed; did you mean protocol? (environments dev, staging, production; source "base")`; err.Error() != want {
		t.Errorf("error:\n%v\nwant\n%s", err, want)
	}
}
