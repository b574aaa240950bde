package compose

import (
	"bytes"
	"testing"

	"github.com/orkdev/ork/pkg/manifest"
)

// FuzzKept feeds arbitrary bytes to the reader of kept pieces (a cache
// entry may be damaged in ways its checksum does not catch, or written by
// a careless tool): it must fail or give back pieces that survive being
// written and read again, never panic. The values inside have their own
// target, codec's FuzzReadValue.
func FuzzKept(f *testing.F) {
	f.Add([]byte("m\xff\xff\xff\xff\x0f"))
	_, pieces, _ := manifest.DecodeKnown("f.yaml", "src", []byte("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n"), manifest.Known{})
	kept, _ := encodePieces(pieces)
	f.Add(kept)
	f.Fuzz(func(t *testing.T, data []byte) {
		// What is read encodes to bytes that read back to the same.
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
	})
}
