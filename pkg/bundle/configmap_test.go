package bundle_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/orkdev/ork/pkg/bundle"
)

// TestVerifyConfigMap checks a bundle read from its ConfigMap alone, as a
// runtime reads it from the API: the CRD documents are elsewhere.
func TestVerifyConfigMap(t *testing.T) {
	data := encode(t, spec(manifests()))
	docs := bundle.SplitDocuments(data)
	cm := docs[len(docs)-1]
	tests := []struct {
		name string
		doc  []byte
		err  string
	}{
		{"as written", cm, ""},
		{"data changed", bytes.Replace(cm, []byte("replicas: 3"), []byte("replicas: 9"), 1), "the ConfigMap data hashes to"},
		{"environment label changed", bytes.Replace(cm, []byte("ork.dev/environment: staging"), []byte("ork.dev/environment: production"), 1),
			`the ConfigMap is labelled environment "production", its lock.yaml says "staging"`},
		// Another ConfigMap's data copied under this one's name: the runtime
		// reads the ConfigMap by name and namespace, which lock.yaml records.
		{"name changed", bytes.Replace(cm, []byte("\n  name: orkestra-katalog\n"), []byte("\n  name: other-katalog\n"), 1),
			"the ConfigMap is orkestra-system/other-katalog, its lock.yaml says orkestra-system/orkestra-katalog"},
		{"namespace changed", bytes.Replace(cm, []byte("\n  namespace: orkestra-system\n"), []byte("\n  namespace: kube-system\n"), 1),
			"the ConfigMap is kube-system/orkestra-katalog, its lock.yaml says orkestra-system/orkestra-katalog"},
		{"digest annotation changed", bytes.Replace(cm, []byte("ork.dev/digest: sha256:"), []byte("ork.dev/digest: sha256:0"), 1), "the annotation says"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err != "" && bytes.Equal(tt.doc, cm) {
				t.Fatal("the test's change did not apply")
			}
			b, err := bundle.FromConfigMap(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			err = b.VerifyConfigMap()
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, bundle.ErrTampered) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want ErrTampered: …%s…", err, tt.err)
			}
		})
	}
}
