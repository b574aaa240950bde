package compose

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/schema"
)

// FuzzKept feeds arbitrary bytes to the readers of kept results (a cache
// entry may be damaged in ways its checksum does not catch, or written by
// a careless tool): they must fail or give back results that survive being
// written and read again, never panic. The values inside have their own
// target, codec's FuzzReadValue.
func FuzzKept(f *testing.F) {
	obj := map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "a"}, "spec": map[string]any{
		"ports": []any{map[string]any{"port": int64(80), "weight": 0.5, "on": true, "off": false, "none": nil}},
	}}
	ok, _ := appendResult(nil, schema.Result{Object: obj})
	bad, _ := appendResult(nil, schema.Result{Violations: []schema.Violation{{Path: []string{"spec", "replica"}, Msg: "field not allowed"}}})
	f.Add(ok)
	f.Add(bad)
	f.Add(encodeResultSet([]manifestKey{sha256.Sum256(ok), sha256.Sum256(bad)}, [][]byte{ok, bad}))
	f.Add([]byte("m\xff\xff\xff\xff\x0f"))
	_, pieces, _ := manifest.DecodeKnown("f.yaml", "src", []byte("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n"), manifest.Known{})
	kept, _ := encodePieces(pieces)
	f.Add(kept)
	f.Fuzz(func(t *testing.T, data []byte) {
		// What is read encodes to bytes that read back to the same.
		if r, err := readResult(data); err == nil {
			once, ok := appendResult(nil, r)
			if !ok {
				t.Fatalf("result read from %q does not encode", data)
			}
			r2, err := readResult(once)
			if err != nil {
				t.Fatalf("%q: %v", once, err)
			}
			if twice, _ := appendResult(nil, r2); !bytes.Equal(once, twice) {
				t.Errorf("result %q reads back as %q", once, twice)
			}
		}
		if known, err := decodePieces(data); err == nil {
			once, ok := encodePieces(known)
			if !ok {
				t.Fatalf("pieces read from %q do not encode", data)
			}
			again, err := decodePieces(once)
			if err != nil {
				t.Fatalf("%q: %v", once, err)
			}
			if twice, _ := encodePieces(again); !bytes.Equal(once, twice) {
				t.Errorf("pieces %q read back as %q", once, twice)
			}
		}
		if set, err := decodeResultSet(data); err == nil {
			for _, v := range set {
				readResult(v)
			}
		}
	})
}
