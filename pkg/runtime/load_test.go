package runtime

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orkdev/ork/pkg/bundle"
)

func manifest(apiVersion, kind, namespace, name string) map[string]any {
	md := map[string]any{"name": name}
	if namespace != "" {
		md["namespace"] = namespace
	}
	return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}
}

func encode(t *testing.T, ms ...map[string]any) []byte {
	t.Helper()
	data, err := bundle.Encode(bundle.Spec{Name: "k", Namespace: "platform", Environment: "dev", Manifests: ms})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLoadFile(t *testing.T) {
	crd := map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets.example.com"}, "spec": map[string]any{"group": "example.com"}}
	svc := manifest("v1", "Service", "apps", "s")
	valid := encode(t, crd, svc,
		manifest("orkestra.orcra.io/v1", "Katalog", "orkestra-system", "old"),
		manifest("orkestra.orkspace.io/v1", "Katalog", "orkestra-system", "new"),
		manifest("apps/v1", "Deployment", "apps", "d"))
	tests := []struct {
		name    string
		data    []byte
		objects []string
		skipped int
		err     string
	}{
		{"katalogs of both API groups skipped, CRDs kept", valid,
			[]string{"CustomResourceDefinition.apiextensions.k8s.io widgets.example.com", "Service apps/s", "Deployment.apps apps/d"}, 2, ""},
		{"katalog data changed", bytes.Replace(valid, []byte("name: s\n"), []byte("name: t\n"), 1), nil, 0,
			"bundle was altered after it was generated: the ConfigMap data hashes to"},
		{"CRD changed", bytes.Replace(valid, []byte("group: example.com"), []byte("group: example.org"), 1), nil, 0,
			"bundle was altered after it was generated: CRD widgets.example.com hashes to"},
		{"not a bundle", []byte("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"), nil, 0,
			"not an ork bundle: it holds no ConfigMap managed by ork"},
		{"empty", nil, nil, 0, "not an ork bundle: the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bundle.yaml")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			l, err := LoadFile(path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), path+": ") {
					t.Fatalf("err = %v, want %s: …%s…", err, path, tt.err)
				}
				if strings.Contains(tt.err, "altered") && !IsTampered(err) {
					t.Errorf("IsTampered(%v) = false", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range l.Objects {
				got = append(got, KeyOf(o).String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.objects, "\n") || l.Skipped != tt.skipped {
				t.Errorf("objects %q, skipped %d; want %q, %d", got, l.Skipped, tt.objects, tt.skipped)
			}
			if l.FromAPI || l.Lock.Environment != "dev" {
				t.Errorf("FromAPI %v, environment %q", l.FromAPI, l.Lock.Environment)
			}
		})
	}
}

func TestLoadDemo(t *testing.T) {
	l, err := LoadFile(filepath.Join("..", "..", "bundles", "production.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if l.Skipped != 1 || len(l.Objects) != 10 {
		t.Errorf("demo bundle: %d objects, %d skipped; want 10 and 1", len(l.Objects), l.Skipped)
	}
	for _, o := range l.Objects {
		if o.GetKind() == KatalogKind {
			t.Errorf("a Katalog was kept: %s", KeyOf(o))
		}
	}
}
