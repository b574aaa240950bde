package bundle_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/orkdev/ork/pkg/bundle"
)

// FuzzLoad feeds arbitrary bytes to Load: it must not panic, and a bundle
// that loads and verifies has a Katalog that decodes.
func FuzzLoad(f *testing.F) {
	f.Add(exampleBundle())
	f.Add([]byte(""))
	secret := "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
	for _, smuggle := range []string{"--- \n", "--- !!map\n", "--- &a\n", "...\n"} {
		f.Add(append(exampleBundle(), smuggle+secret...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := bundle.Load(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Load(%q) returned an empty error", data)
			}
			return
		}
		if b == nil {
			t.Fatalf("Load(%q) returned neither a bundle nor an error", data)
		}
		if err := b.Verify(); err != nil {
			return
		}
		// A bundle that verifies holds, to a YAML parser too, its CRDs and
		// one ConfigMap: nothing smuggled.
		dec := yaml.NewDecoder(bytes.NewReader(data))
		n := 0
		for {
			var d yaml.Node
			err := dec.Decode(&d)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("Load(%q) verified, but YAML cannot read it: %v", data, err)
			}
			n++
		}
		if n != len(b.CRDs)+1 {
			t.Fatalf("Load(%q) verified with %d CRDs, but YAML reads %d documents", data, len(b.CRDs), n)
		}
		if _, err := b.Lock(); err != nil {
			t.Fatalf("Load(%q) verified but its lock does not decode: %v", data, err)
		}
		if _, err := b.Manifests(); err != nil {
			t.Fatalf("Load(%q) verified but its Katalog does not decode: %v", data, err)
		}
	})
}

// FuzzEncodeRoundTrip puts arbitrary strings in a manifest and a CRD: a
// bundle ork has just encoded must load, verify, and give the strings back
// unchanged. Strings are valid UTF-8, as every manifest decoded from YAML,
// JSON or CUE is (YAML writes other bytes as !!binary, and a !!binary key
// decodes into a map[any]any: testdata/fuzz/FuzzEncodeRoundTrip/1a66e1dcaa95e66d).
// Kept crashers: af595fbd6cf6c916 (a key "\t\n", which yaml.v3's encoder
// wrote as a "? |" block key that does not load back), e50107c48e844a46 (a
// key written longer than 1024 characters, see TestRoundTripLongKey).
func FuzzEncodeRoundTrip(f *testing.F) {
	for _, s := range []string{"", "plain", "a\nb\n", "trailing \nspace", "crlf\r\n", "---", "\u2028", "\u0085", "\x00", "\ufeff", "\t"} {
		f.Add(s, "key")
	}
	f.Fuzz(func(t *testing.T, value, key string) {
		if !utf8.ValidString(value) || !utf8.ValidString(key) {
			t.Skip()
		}
		cm := obj("v1", "ConfigMap", "apps", "fuzz", m{"data": m{key: value}})
		c := crd("things.example.com")
		c["metadata"].(map[string]any)["annotations"] = m{key: value}
		data, err := bundle.Encode(spec([]map[string]any{cm, c}))
		if err != nil {
			return // YAML cannot hold it (invalid UTF-8); Encode said so
		}
		b, err := bundle.Load(data)
		if err != nil {
			t.Fatalf("Load of a fresh bundle holding %q: %v\n%s", value, err, data)
		}
		if err := b.Verify(); err != nil {
			t.Fatalf("Verify of a fresh bundle holding %q: %v\n%s", value, err, data)
		}
		got, err := b.Manifests()
		if err != nil {
			t.Fatalf("Manifests of a fresh bundle holding %q: %v", value, err)
		}
		if len(got) != 1 {
			t.Fatalf("got %d manifests, want 1", len(got))
		}
		d, _ := got[0]["data"].(map[string]any)
		if d[key] != value {
			t.Fatalf("data[%q] = %q, want %q", key, d[key], value)
		}
	})
}
