package orkestra_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/compose"
	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/orkestra"
	"github.com/orkdev/ork/pkg/scaffold"
	"github.com/orkdev/ork/pkg/schema"
)

var validator = sync.OnceValue(schema.New)

// strictDecode decodes the first YAML document of data as Orkestra's
// strictUnmarshal does: yaml.v3 with unknown fields refused.
func strictDecode(data []byte, out any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(out)
}

// crdList is the test Orkestra's parser makes before decoding: spec.crds
// written as a list.
var crdList = regexp.MustCompile(`crds:\s*- `)

// loadAsOrkestra reads a bundle's katalog.yaml the way the Orkestra runtime
// reads its mounted file (pkg/merger: parseKatalogDoc, loadKatalog): the
// first document, strictly, as a Katalog. It also holds ork's promises: one
// Katalog, first, with every import inlined.
func loadAsOrkestra(stream string) (*katalogFile, error) {
	docs := bundle.SplitDocuments([]byte(stream))
	n := 0
	for i, d := range docs {
		var head struct{ Kind string }
		if err := yaml.Unmarshal(d, &head); err != nil {
			return nil, fmt.Errorf("document %d: %v", i, err)
		}
		if head.Kind == orkestra.Kind {
			n++
			if i != 0 {
				return nil, fmt.Errorf("the Katalog is document %d, not the first: Orkestra would decode document 0 as its Katalog", i)
			}
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("%d Katalog documents, want 1", n)
	}
	if crdList.MatchString(stream) {
		return nil, errors.New("spec.crds is a list")
	}
	var k katalogFile
	if err := strictDecode([]byte(stream), &k); err != nil {
		return nil, err
	}
	switch {
	case k.APIVersion != orkestra.APIVersion:
		return nil, fmt.Errorf("unsupported apiVersion %q", k.APIVersion)
	case k.Metadata.Name == "":
		return nil, errors.New("missing metadata.name")
	case k.Imports != nil || len(k.Spec.Imports) > 0:
		return nil, errors.New("imports left in the Katalog")
	}
	for name, e := range k.Spec.CRDs {
		if len(e.Imports) > 0 {
			return nil, fmt.Errorf("spec.crds.%s: imports left in the entry", name)
		}
		if e.CRDFile != "" || len(e.CRFiles) > 0 {
			return nil, fmt.Errorf("spec.crds.%s: crdFile or crFiles left for the runtime to read", name)
		}
	}
	return &k, nil
}

// build builds every environment of the Komposer at path, in memory.
func build(t *testing.T, path, workDir string) ([]compose.Bundle, error) {
	t.Helper()
	k, err := komposer.Load(path, filepath.Base(path), validator())
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	return compose.Bundles(context.Background(), compose.Options{Komposer: k, Validator: validator(), WorkDir: workDir})
}

// TestBundlesDecodeAsOrkestra builds the demo, the ork init scaffold and the
// examples taken from Orkestra's repository, and decodes each bundle's
// Katalog into Go types mirroring Orkestra's, as strictly as Orkestra does.
func TestBundlesDecodeAsOrkestra(t *testing.T) {
	init := t.TempDir()
	if _, err := scaffold.Write(init); err != nil {
		t.Fatal(err)
	}
	komposers := map[string]string{
		"demo":     "../../testdata/demo/komposer.yaml",
		"scaffold": filepath.Join(init, "komposer.yaml"),
	}
	examples, err := filepath.Glob("testdata/examples/*/komposer.yaml")
	if err != nil || len(examples) < 2 {
		t.Fatalf("examples: %v, %v", examples, err)
	}
	for _, e := range examples {
		komposers[filepath.Base(filepath.Dir(e))] = e
	}
	for name, path := range komposers {
		t.Run(name, func(t *testing.T) {
			bundles, err := build(t, path, filepath.Dir(path))
			if err != nil {
				t.Fatalf("ork refuses it:\n%v", err)
			}
			for _, b := range bundles {
				loaded, err := bundle.Load(b.Data)
				if err != nil {
					t.Fatal(err)
				}
				k, err := loadAsOrkestra(loaded.Data[bundle.KatalogKey])
				if err != nil {
					t.Errorf("%s: Orkestra would refuse the Katalog: %v", b.Env.Name, err)
					continue
				}
				for n, e := range k.Spec.CRDs {
					if w := e.OperatorBox.Reconciler; w != nil && w.Profile == "" && (w.Workers < 1 || w.Workers > 50 || w.Resync == 0) {
						t.Errorf("%s: spec.crds.%s: reconciler without its defaults: workers %d, resync %v", b.Env.Name, n, w.Workers, w.Resync)
					}
				}
			}
		})
	}
}

// TestStrictDecodeRefuses shows that the compatibility test can fail: the
// mirror types refuse an unknown or mistyped field at every level the
// schema closes, and the parser's own checks hold.
func TestStrictDecodeRefuses(t *testing.T) {
	const base = `apiVersion: orkestra.orkspace.io/v1
kind: Katalog
metadata:
  name: k
spec:
  crds:
    a:
      apiTypes: {group: x.example.com, version: v1, kind: A, plural: as}
      operatorBox:
        reconciler: {workers: 2, resync: 30s}
        onCreate:
          deployments:
            - image: nginx
              env: [{name: A, value: b}]
`
	if _, err := loadAsOrkestra(base); err != nil {
		t.Fatalf("the base Katalog is refused: %v", err)
	}
	tests := []struct{ name, old, new string }{
		{"unknown top-level field", "kind: Katalog\n", "kind: Katalog\nstatus: {}\n"},
		{"unknown metadata field", "  name: k\n", "  name: k\n  labels: {a: b}\n"},
		{"unknown entry field", "      apiTypes:", "      scope: Namespaced\n      apiTypes:"},
		{"unknown apiTypes field", "plural: as}", "plural: as, scope: x}"},
		{"operatorBox.reconcile (ork's old name)", "reconciler: {workers: 2, resync: 30s}", "reconcile: {workers: 2}"},
		{"unknown deployment field", "- image: nginx", "- image: nginx\n              replica: 2"},
		{"unknown env field", "value: b}", "value: b, from: c}"},
		{"workers as text", "workers: 2,", "workers: two,"},
		{"resync not a duration", "resync: 30s", "resync: soon"},
		{"namespaced as text", "      apiTypes:", "      namespaced: yes-please\n      apiTypes:"},
		{"crds as a list", "    a:\n", "    - a:\n"},
		{"old apiVersion", "orkestra.orkspace.io/v1", "orkestra.orcra.io/v1"},
		{"imports left", "spec:\n", "spec:\n  imports: [{motif: ./m.yaml}]\n"},
		{"two Katalogs", "", "---\napiVersion: orkestra.orkspace.io/v1\nkind: Katalog\nmetadata: {name: other}\nspec: {}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc string
			if tt.old == "" {
				doc = base + tt.new
			} else {
				if !strings.Contains(base, tt.old) {
					t.Fatalf("%q is not in the base Katalog", tt.old)
				}
				doc = strings.Replace(base, tt.old, tt.new, 1)
			}
			if _, err := loadAsOrkestra(doc); err == nil {
				t.Errorf("accepted:\n%s", doc)
			}
		})
	}
}

// TestOrkestraExamplesRefused holds the examples from Orkestra's repository
// that its own strict decoder refuses at the profiled commit: ork refuses
// them too, naming the field.
func TestOrkestraExamplesRefused(t *testing.T) {
	dirs, err := filepath.Glob("testdata/refused/*/komposer.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("refused examples: %v, %v", dirs, err)
	}
	for _, path := range dirs {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(filepath.Dir(path), "want"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = build(t, path, filepath.Dir(path))
			if err == nil {
				t.Fatal("ork builds it")
			}
			if got := err.Error(); !strings.Contains(got, strings.TrimSpace(string(want))) {
				t.Errorf("error:\n%s\nwant it to contain:\n%s", got, want)
			}
		})
	}
}
