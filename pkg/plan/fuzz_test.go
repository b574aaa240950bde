package plan

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/orkdev/ork/pkg/bundle"
)

// FuzzCompare plans a fixed bundle against a reference built from arbitrary
// parts: its Katalog text and one CRD document, held in a bundle whose
// digest matches (so Compare reads every part, as it reads a verified
// reference). Planning may fail with an error, but nothing panics and every
// format renders.
//
// The inputs are the parts, not a whole bundle file: the fuzzer minimizes
// every input that finds new coverage, at a cost that grows with the
// square of its size, and a whole bundle (a few KB, its digest and YAML
// framing) kept it minimizing, at about 4 executions a minute. Reading
// bundle files is FuzzLoad's job (pkg/bundle).
func FuzzCompare(f *testing.F) {
	planned := mkBundle(f, "dev", docs(f, fuzzKatalog))
	f.Add([]byte(fuzzKatalog[:strings.Index(fuzzKatalog, "---")]), []byte(fuzzCRD))
	f.Add([]byte("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: x, n: 3}\n"), []byte(strings.Replace(fuzzCRD, "string", "integer", 1)))
	f.Add([]byte("a: ["), []byte("kind: CustomResourceDefinition\n"))
	f.Add([]byte("kind: Deployment\nmetadata: {name: d, namespace: n}\n---\nkind: Deployment\nmetadata: {name: d, namespace: n}\n"), []byte(""))
	f.Fuzz(func(t *testing.T, katalog, crd []byte) {
		ref := &bundle.Bundle{Name: planned.Name, Namespace: planned.Namespace, Environment: "dev", Data: map[string]string{
			bundle.KatalogKey: string(katalog),
			bundle.LockKey:    "apiVersion: ork.dev/v1alpha1\nkind: BundleLock\nenvironment: dev\n",
		}}
		if len(crd) > 0 {
			ref.CRDs = [][]byte{crd}
		}
		ref.Digest = bundle.Digest(ref.Data)
		p, err := Compare(&Reference{Name: "ref.yaml", Bundle: ref}, planned)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		var out bytes.Buffer
		if err := p.WriteText(&out, TextOptions{Color: true}); err != nil {
			t.Fatal(err)
		}
		if err := p.WriteMarkdown(&out); err != nil {
			t.Fatal(err)
		}
		_ = p.WriteJSON(&out) // values YAML cannot give JSON (non-string keys) are an error, not a panic
		if bytes.Contains(out.Bytes(), []byte("hunter2")) && !bytes.Contains(katalog, []byte("hunter2")) && !bytes.Contains(crd, []byte("hunter2")) {
			t.Fatalf("a Secret's value leaked:\n%s", out.Bytes())
		}
	})
}

const fuzzCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: as.b}
spec:
  versions:
    - name: v1
      served: true
      schema: {openAPIV3Schema: {properties: {x: {type: string}}, required: [x]}}
`

const fuzzKatalog = `apiVersion: v1
kind: Secret
metadata: {name: s}
stringData: {password: hunter2, n: 2}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: as.b}
spec:
  versions:
    - name: v1
      served: true
      schema: {openAPIV3Schema: {properties: {x: {type: string}}, required: [x]}}
`

// encodeBundle gives a loaded bundle's bytes back: its CRDs and ConfigMap.
func encodeBundle(b *bundle.Bundle) []byte {
	var out bytes.Buffer
	for _, c := range b.CRDs {
		out.Write(c)
		out.WriteString("---\n")
	}
	out.WriteString(encodeYAML(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{
			"name": b.Name, "namespace": b.Namespace,
			"labels":      map[string]any{bundle.ManagedByLabel: "ork", bundle.EnvironmentLabel: b.Environment},
			"annotations": map[string]any{bundle.DigestAnnotation: b.Digest},
		},
		"data": map[string]any{bundle.KatalogKey: b.Data[bundle.KatalogKey], bundle.LockKey: b.Data[bundle.LockKey]},
	}))
	return out.Bytes()
}

// FuzzLive feeds arbitrary kubectl output to the readers of the live
// ConfigMap and CRDs: they fail or succeed, never panic.
func FuzzLive(f *testing.F) {
	b := mkBundle(f, "dev", docs(f, katalog))
	data := encodeBundle(b)
	f.Add(data[bytes.LastIndex(data, []byte("apiVersion: v1\n")):])
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- apiVersion: apiextensions.k8s.io/v1\n  kind: CustomResourceDefinition\n  metadata: {name: a.b, uid: x}\n  status: {}\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, out []byte) {
		if b, err := liveConfigMap(out, "cluster"); err == nil && b.Digest != bundle.Digest(b.Data) {
			t.Fatal("a live ConfigMap whose data does not match its digest was accepted")
		}
		_, _ = liveCRDs(out)
	})
}

// FuzzMask puts an arbitrary value in a Secret, an environment variable
// named like a password and a field named token, on either side of a plan:
// the value never appears in any format.
func FuzzMask(f *testing.F) {
	f.Add("hunter2", "correct-horse")
	f.Add("a\nb", "a: b")
	f.Add("Zq9", "Zq9")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		// Unique enough to be found only where it leaked.
		a, b = "Zq9x"+a+"Yw", "Zq9y"+b+"Yw"
		mk := func(v string) *bundle.Bundle {
			return mkBundle(t, "dev", []map[string]any{
				{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s", "namespace": "n"}, "stringData": map[string]any{"v": v}},
				{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "d", "namespace": "n"},
					"spec": map[string]any{"env": []any{map[string]any{"name": "ADMIN_PASSWORD", "value": v}}, "auth": map[string]any{"token": v}}},
			})
		}
		for _, pair := range [][2]*bundle.Bundle{{mk(a), mk(b)}, {nil, mk(b)}, {mk(a), mk(a)}} {
			p, err := Compare(&Reference{Name: "ref", Bundle: pair[0]}, pair[1])
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := p.WriteText(&out, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := p.WriteMarkdown(&out); err != nil {
				t.Fatal(err)
			}
			if err := p.WriteJSON(&out); err != nil {
				t.Fatal(err)
			}
			s := out.String()
			for _, secret := range []string{"Zq9x", "Zq9y"} {
				if strings.Contains(s, secret) {
					t.Fatalf("a secret leaked:\n%s", s)
				}
			}
		}
	})
}
