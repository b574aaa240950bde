package bundle_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/orkdev/ork/pkg/bundle"
)

// A runtime reads its bundle once at start: it loads the file (here, bytes
// that `ork generate bundle` would have written), refuses it unless it
// verifies (the digest, the CRDs, the ConfigMap's name, namespace and
// environment against lock.yaml, and no document beyond the CRDs and the
// ConfigMap), then reads the locked Katalog and the pins it was built from.
func ExampleLoad() {
	data := exampleBundle() // in a runtime: os.ReadFile, or bundle.ReadFile(path)

	b, err := bundle.Load(data)
	if err != nil {
		log.Fatal(err)
	}
	if err := b.Verify(); errors.Is(err, bundle.ErrTampered) {
		log.Fatalf("refusing an altered bundle: %v", err)
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("bundle %s/%s for environment %s, %d CRD(s)\n", b.Namespace, b.Name, b.Environment, len(b.CRDs))

	manifests, err := b.Manifests()
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range manifests {
		meta := m["metadata"].(map[string]any)
		fmt.Printf("  %s %s %s\n", m["apiVersion"], m["kind"], meta["name"])
	}

	lock, err := b.Lock()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("  locked as %s/%s\n", lock.ConfigMap.Namespace, lock.ConfigMap.Name)
	for _, p := range lock.Sources {
		fmt.Printf("  source %s (%s) pinned at %s\n", p.Name, p.Type, p.ID)
	}
	// Output:
	// bundle orkestra-system/orkestra-katalog for environment production, 1 CRD(s)
	//   v1 Namespace apps
	//   apps/v1 Deployment hello-world
	//   apps.orcra.io/v1 HelloWorld hello-world
	//   locked as orkestra-system/orkestra-katalog
	//   source base (path) pinned at sha256:3f1c
	//   source shared (git) pinned at 9b2e7c1
}

// exampleBundle encodes the bundle ExampleLoad reads.
func exampleBundle() []byte {
	data, err := bundle.Encode(bundle.Spec{
		Name:        "orkestra-katalog",
		Namespace:   "orkestra-system",
		Environment: "production",
		Manifests: []map[string]any{
			{"apiVersion": "apps.orcra.io/v1", "kind": "HelloWorld", "metadata": map[string]any{"name": "hello-world", "namespace": "apps"}, "spec": map[string]any{"replicas": 3}},
			{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": map[string]any{"name": "helloworlds.apps.orcra.io"}},
			{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "hello-world", "namespace": "apps"}},
			{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "apps"}},
		},
		Sources: []bundle.Pin{
			{Name: "base", Type: "path", Location: "./katalog", ID: "sha256:3f1c"},
			{Name: "shared", Type: "git", Location: "https://git.example.com/shared.git", Ref: "main", ID: "9b2e7c1"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	return data
}
