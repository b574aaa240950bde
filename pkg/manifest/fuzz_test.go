package manifest_test

import (
	"testing"

	"github.com/orkdev/ork/pkg/manifest"
)

// FuzzDecode feeds arbitrary bytes to Decode: it must not panic, every
// document it returns must have an identity, and every error must say
// something.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(deployment))
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := manifest.Decode("f.yaml", "fuzz", data)
		if err != nil && err.Error() == "" {
			t.Fatalf("Decode(%q) returned an empty error", data)
		}
		for _, d := range docs {
			if d == nil {
				t.Fatalf("Decode(%q) returned a nil document", data)
			}
			if d.ID.Kind == "" || d.ID.Name == "" {
				t.Fatalf("Decode(%q) returned a document without kind or name: %#v", data, d.ID)
			}
			if d.Object == nil {
				t.Fatalf("Decode(%q) returned a document without an object", data)
			}
			if d.Pos.File != "f.yaml" || d.Pos.Line < 1 {
				t.Fatalf("Decode(%q) returned a document at %v", data, d.Pos)
			}
			if p, ok := d.Position(nil); !ok || p != d.Pos {
				t.Fatalf("Decode(%q): Position(nil) = %v, %v; want the document's %v", data, p, ok, d.Pos)
			}
			if p, ok := d.Position([]string{"metadata", "name"}); !ok || p.Line < d.Pos.Line {
				t.Fatalf("Decode(%q): Position(metadata.name) = %v, %v; want a line at or after %v", data, p, ok, d.Pos)
			}
		}
	})
}
