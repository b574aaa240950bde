package bundle_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orkdev/ork/pkg/bundle"
)

type m = map[string]any

func obj(apiVersion, kind, namespace, name string, extra m) m {
	meta := m{"name": name}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	o := m{"apiVersion": apiVersion, "kind": kind, "metadata": meta}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

func crd(name string) m {
	group := name[strings.IndexByte(name, '.')+1:]
	plural := name[:strings.IndexByte(name, '.')]
	return obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", name, m{
		"spec": m{
			"group": group,
			"names": m{"plural": plural, "kind": strings.ToUpper(plural[:1]) + plural[1:len(plural)-1]},
			"scope": "Namespaced",
			"versions": []any{m{
				"name": "v1", "served": true, "storage": true,
				"schema": m{"openAPIV3Schema": m{"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
			}},
		},
	})
}

// manifests is a Katalog in no particular order, as compose hands it over.
func manifests() []map[string]any {
	return []map[string]any{
		obj("apps/v1", "Deployment", "apps", "web", m{"spec": m{"replicas": int64(3), "template": m{"spec": m{"containers": []any{m{"name": "app", "image": "web:1", "env": []any{m{"name": "A", "value": "1"}}}}}}}}),
		crd("widgets.example.com"),
		obj("v1", "Namespace", "", "apps", nil),
		obj("orkestra.orkspace.io/v1", "Katalog", "orkestra-system", "orkestra", m{"spec": m{"crds": m{"postgres": m{"enabled": true, "ratio": 0.5}}}}),
		obj("v1", "ConfigMap", "apps", "b-config", m{"data": m{"when": "2024-01-02", "count": "3", "multi": "line one\nline two\n"}}),
		obj("v1", "ConfigMap", "apps", "a-config", m{"data": m{"k": "v"}}),
		crd("helloworlds.apps.orcra.io"),
		obj("apps/v1", "Deployment", "", "cluster-wide", nil),
		obj("v1", "ConfigMap", "", "z-config", nil),
		obj("apps/v1", "StatefulSet", "apps", "db", nil),
	}
}

func spec(ms []map[string]any) bundle.Spec {
	return bundle.Spec{
		Name:        "orkestra-katalog",
		Namespace:   "orkestra-system",
		Environment: "staging",
		Manifests:   ms,
		Sources: []bundle.Pin{
			{Name: "base", Type: "path", Location: "./katalog", ID: "sha256:" + strings.Repeat("a", 64)},
			{Name: "shared", Type: "git", Location: "https://git.example.com/shared.git", Ref: "main", ID: strings.Repeat("b", 40), From: "dev"},
		},
	}
}

func encode(t testing.TB, s bundle.Spec) []byte {
	t.Helper()
	data, err := bundle.Encode(s)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return data
}

// documents splits a bundle at its --- lines (not at the indented ones
// inside the ConfigMap's data).
func documents(data []byte) []string {
	return docSep.Split(string(data), -1)
}

var docSep = regexp.MustCompile(`(?m)^---\n`)

func TestEncodeDeterministic(t *testing.T) {
	want := encode(t, spec(manifests()))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		ms := manifests()
		r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
		if got := encode(t, spec(ms)); !bytes.Equal(got, want) {
			t.Fatalf("shuffle %d gave different bytes:\n%s\nwant\n%s", i, got, want)
		}
	}
	// Encode does not depend on the time zone either.
	old := time.Local
	time.Local = time.FixedZone("elsewhere", 13*3600)
	defer func() { time.Local = old }()
	if got := encode(t, spec(manifests())); !bytes.Equal(got, want) {
		t.Fatalf("another time zone gave different bytes")
	}
}

func TestEncodeOrder(t *testing.T) {
	data := encode(t, spec(manifests()))
	docs := documents(data)
	if len(docs) != 3 {
		t.Fatalf("got %d documents, want 2 CRDs and a ConfigMap:\n%s", len(docs), data)
	}
	for i, name := range []string{"helloworlds.apps.orcra.io", "widgets.example.com"} {
		if !strings.HasPrefix(docs[i], "apiVersion: apiextensions.k8s.io/v1\n") || !strings.Contains(docs[i], "kind: CustomResourceDefinition\n") || !strings.Contains(docs[i], "\nmetadata:\n  name: "+name+"\n") {
			t.Errorf("document %d is not CRD %s:\n%s", i, name, docs[i])
		}
	}
	if !strings.Contains(docs[2], "kind: ConfigMap\n") || !strings.Contains(docs[2], "name: orkestra-katalog\n") {
		t.Errorf("last document is not the bundle ConfigMap:\n%s", docs[2])
	}

	b, err := bundle.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Manifests()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range got {
		meta := o["metadata"].(map[string]any)
		ns, _ := meta["namespace"].(string)
		ids = append(ids, fmt.Sprintf("%s %s %s %s", o["apiVersion"], o["kind"], ns, meta["name"]))
	}
	want := []string{
		// The Orkestra Katalog first (the runtime reads the first document),
		// then the core group (""), then by group, kind, namespace, name.
		"orkestra.orkspace.io/v1 Katalog orkestra-system orkestra",
		"v1 ConfigMap  z-config",
		"v1 ConfigMap apps a-config",
		"v1 ConfigMap apps b-config",
		"v1 Namespace  apps",
		"apps/v1 Deployment  cluster-wide",
		"apps/v1 Deployment apps web",
		"apps/v1 StatefulSet apps db",
	}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("Katalog order:\n%s\nwant\n%s", strings.Join(ids, "\n"), strings.Join(want, "\n"))
	}
	// The Katalog's keys are sorted.
	katalog := b.Data[bundle.KatalogKey]
	if !strings.HasPrefix(katalog, "apiVersion: orkestra.orkspace.io/v1\nkind: Katalog\n") {
		t.Errorf("katalog.yaml does not begin with the Katalog:\n%s", katalog)
	}
	if i := strings.Index(katalog, "apiVersion: v1\nkind: ConfigMap"); i < 0 || !strings.HasPrefix(katalog[i:], "apiVersion: v1\nkind: ConfigMap\nmetadata:") {
		t.Errorf("Katalog keys not sorted:\n%s", katalog)
	}
}

func TestEncodeConfigMap(t *testing.T) {
	data := encode(t, spec(manifests()))
	b, err := bundle.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "orkestra-katalog" || b.Namespace != "orkestra-system" || b.Environment != "staging" {
		t.Errorf("Name, Namespace, Environment = %q, %q, %q", b.Name, b.Namespace, b.Environment)
	}
	if !strings.HasPrefix(b.Digest, "sha256:") || len(b.Digest) != len("sha256:")+64 {
		t.Errorf("Digest = %q", b.Digest)
	}
	if b.Digest != bundle.Digest(b.Data) {
		t.Errorf("annotation %s, data hashes to %s", b.Digest, bundle.Digest(b.Data))
	}
	for _, want := range []string{
		"\n    app.kubernetes.io/managed-by: ork\n",
		"\n    ork.dev/environment: staging\n",
		"\n    ork.dev/digest: " + b.Digest + "\n",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("bundle lacks %q", want)
		}
	}
	if len(b.Data) != 2 {
		t.Errorf("ConfigMap data keys = %v, want katalog.yaml and lock.yaml", b.Data)
	}
	lock, err := b.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if lock.APIVersion != bundle.APIVersion || lock.Kind != bundle.LockKind || lock.Environment != "staging" {
		t.Errorf("lock header = %s/%s %s", lock.APIVersion, lock.Kind, lock.Environment)
	}
	if !reflect.DeepEqual(lock.Sources, spec(nil).Sources) {
		t.Errorf("lock sources = %+v, want %+v", lock.Sources, spec(nil).Sources)
	}
	if len(lock.CRDs) != 2 || lock.CRDs[0].Name != "helloworlds.apps.orcra.io" || lock.CRDs[1].Name != "widgets.example.com" {
		t.Fatalf("lock CRDs = %+v", lock.CRDs)
	}
	for i, c := range lock.CRDs {
		if len(c.SHA256) != 64 || c.SHA256 == lock.CRDs[1-i].SHA256 {
			t.Errorf("CRD digest %d = %q", i, c.SHA256)
		}
	}
}

// jsonNormal turns a value into what JSON makes of it, so that int and
// int64, or 2.0 and 2, compare equal.
func jsonNormal(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	in := manifests()
	path := filepath.Join(t.TempDir(), "staging.yaml")
	if err := os.WriteFile(path, encode(t, spec(in)), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(); err != nil {
		t.Fatalf("Verify of a fresh bundle: %v", err)
	}
	got, err := b.Manifests()
	if err != nil {
		t.Fatal(err)
	}
	var want []map[string]any
	for _, o := range in {
		if o["kind"] != "CustomResourceDefinition" {
			want = append(want, o)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("Manifests returned %d manifests, want %d", len(got), len(want))
	}
	// Compare as sets: TestEncodeOrder checks the order.
	key := func(o map[string]any) string { b, _ := json.Marshal(o); return string(b) }
	seen := map[string]bool{}
	for _, o := range got {
		seen[key(jsonNormal(t, o).(map[string]any))] = true
	}
	for _, o := range want {
		if !seen[key(jsonNormal(t, o).(map[string]any))] {
			t.Errorf("manifest lost or changed in the round trip: %v", o)
		}
	}
	// Values keep their types: strings that look like numbers or dates stay
	// strings, integers stay integers.
	for _, o := range got {
		meta := o["metadata"].(map[string]any)
		switch meta["name"] {
		case "b-config":
			d := o["data"].(map[string]any)
			if d["when"] != "2024-01-02" || d["count"] != "3" || d["multi"] != "line one\nline two\n" {
				t.Errorf("b-config data = %#v", d)
			}
		case "web":
			if r := o["spec"].(map[string]any)["replicas"]; fmt.Sprint(r) != "3" {
				t.Errorf("replicas = %#v", r)
			}
		}
	}
	// The CRDs are in the file as they were encoded.
	if len(b.CRDs) != 2 || !bytes.Contains(b.CRDs[0], []byte("name: helloworlds.apps.orcra.io")) {
		t.Errorf("CRDs = %q", b.CRDs)
	}
}

func TestRoundTripAwkwardStrings(t *testing.T) {
	values := []string{
		"", " ", "  leading", "trailing  ", "tab\there", "line\n", "a\nb\n\n", "\n\nleading newlines",
		"trailing space on a line \nnext", "crlf\r\nline", "cr\ronly", "---", "a\n---\nb", "...", "# not a comment",
		"key: value", "- item", "*alias", "&anchor", "!tag", "%directive", "@", "`", "{flow}", "[flow]",
		"null", "~", "true", "no", "0x10", "1e3", "0o17", ".inf", "2001-12-14t21:59:43.10-05:00",
		"unicode é ü 日本", "ls\u2028x", "ps\u2029x", "bom\ufeffx", "nul\x00x", "bell\ax", "emoji \U0001F600",
		"\"quoted\"", "'single'", "back\\slash", strings.Repeat("long ", 40), strings.Repeat("x", 2000),
		"two\nlines\n", "  indented\nblock\n", "block\n  indented second\n", "block\n\tsecond line tab\n",
		// YAML's non-printable characters and its other line breaks.
		"nel\u0085x", "lines\u0085with nel\nand more\n", "del\x7fx", "c1\u0080x", "c1\u009fx", "nonchar\ufffex",
	}
	for _, v := range values {
		t.Run(fmt.Sprintf("%.40q", v), func(t *testing.T) {
			d := m{"k": v}
			if len(v) <= 1024 {
				d[v] = "as a key" // TestRoundTripLongKey covers longer keys
			}
			cm := obj("v1", "ConfigMap", "apps", "awkward", m{"data": d})
			c := crd("things.example.com")
			c["metadata"].(map[string]any)["annotations"] = m{"k": v}
			data, err := bundle.Encode(spec([]map[string]any{cm, c}))
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			b, err := bundle.Load(data)
			if err != nil {
				t.Fatalf("Load of a fresh bundle: %v", err)
			}
			if err := b.Verify(); err != nil {
				t.Fatalf("Verify of a fresh bundle: %v", err)
			}
			got, err := b.Manifests()
			if err != nil {
				t.Fatalf("Manifests of a fresh bundle: %v", err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d manifests", len(got))
			}
			gd, _ := got[0]["data"].(map[string]any)
			if !reflect.DeepEqual(gd, d) {
				t.Errorf("data = %q, want %q", gd, d)
			}
		})
	}
}

// TestRoundTripLongKey covers map keys whose written form is longer than
// 1024 characters, which YAML forbids as implicit keys, quoted or not: they
// need the explicit "? key" form. A key of 200 control characters is
// written as 1200 characters of escapes. Such keys are rare (Kubernetes caps
// most names at 253), but nothing in ork limits the keys of a custom
// resource's spec.
func TestRoundTripLongKey(t *testing.T) {
	for _, key := range []string{strings.Repeat("k", 1500), strings.Repeat("\x01", 200)} {
		cm := obj("v1", "ConfigMap", "apps", "long", m{"data": m{key: "v"}})
		b, err := bundle.Load(encode(t, spec([]map[string]any{cm})))
		if err != nil {
			t.Errorf("Load of a fresh bundle with a %.10q... key: %v", key, err)
			continue
		}
		if err := b.Verify(); err != nil {
			t.Errorf("Verify of a fresh bundle with a %.10q... key: %v", key, err)
			continue
		}
		got, err := b.Manifests()
		if err != nil {
			t.Errorf("Manifests of a fresh bundle with a %.10q... key: %v", key, err)
			continue
		}
		if d, _ := got[0]["data"].(map[string]any); d[key] != "v" {
			t.Errorf("data = %.80q..., want the %.10q... key", d, key)
		}
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	orig := string(encode(t, spec(manifests())))
	// Each tamper returns "" when the bundle lacks what it would change.
	replace := func(old, new string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, old) {
				return ""
			}
			return strings.Replace(s, old, new, 1)
		}
	}
	tests := []struct {
		name   string
		tamper func(string) string
	}{
		{"katalog value", replace("replicas: 3", "replicas: 4")},
		{"katalog manifest added", replace("\n    kind: Namespace\n    metadata:\n      name: apps\n", "\n    kind: Namespace\n    metadata:\n      name: apps\n    ---\n    apiVersion: v1\n    kind: Namespace\n    metadata:\n      name: evil\n")},
		{"lock pin", replace(strings.Repeat("b", 40), strings.Repeat("c", 40))},
		{"lock CRD digest", func(s string) string {
			i := strings.Index(s, "sha256: ")
			if i < 0 {
				return ""
			}
			return flip(s, i+8)
		}},
		{"digest annotation", func(s string) string {
			i := strings.Index(s, "ork.dev/digest: sha256:")
			if i < 0 {
				return ""
			}
			return flip(s, i+23)
		}},
		{"data key added", replace("data:\n  katalog.yaml:", "data:\n  extra.yaml: x\n  katalog.yaml:")},
		{"CRD document changed", replace("scope: Namespaced", "scope: Cluster")},
		{"ConfigMap renamed", replace("\n  name: orkestra-katalog\n", "\n  name: other-katalog\n")},
		{"ConfigMap moved", replace("\n  namespace: orkestra-system\n", "\n  namespace: kube-system\n")},
		{"environment relabelled", replace("ork.dev/environment: staging", "ork.dev/environment: production")},
		{"CRD document whitespace", replace("scope: Namespaced\n", "scope:  Namespaced\n")},
		{"CRD removed", func(s string) string {
			docs := documents([]byte(s))
			return strings.Join(docs[1:], "---\n")
		}},
		{"CRD added", func(s string) string {
			docs := documents([]byte(s))
			return strings.Join(append([]string{docs[0]}, docs...), "---\n")
		}},
		{"CRDs swapped", func(s string) string {
			docs := documents([]byte(s))
			docs[0], docs[1] = docs[1], docs[0]
			return strings.Join(docs, "---\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tampered := tt.tamper(orig)
			if tampered == "" || tampered == orig {
				t.Fatal("tampering changed nothing: the bundle lacks what it would change")
			}
			b, err := bundle.Load([]byte(tampered))
			if err != nil {
				t.Fatalf("Load of the tampered bundle: %v", err)
			}
			err = b.Verify()
			if !errors.Is(err, bundle.ErrTampered) {
				t.Errorf("Verify = %v, want ErrTampered", err)
			}
		})
	}
}

// flip changes the hex digit at i of s.
func flip(s string, i int) string {
	c := byte('0')
	if s[i] == '0' {
		c = '1'
	}
	return s[:i] + string(c) + s[i+1:]
}

func TestTooLarge(t *testing.T) {
	withPayload := func(n int) bundle.Spec {
		return spec([]map[string]any{obj("v1", "ConfigMap", "apps", "big", m{"data": m{"blob": strings.Repeat("x", n)}})})
	}
	size := func(n int) int {
		b, err := bundle.Load(encode(t, withPayload(n)))
		if err != nil {
			t.Fatal(err)
		}
		return len(b.Data[bundle.KatalogKey]) + len(b.Data[bundle.LockKey])
	}
	// The payload is one long word: the ConfigMap's data grows by exactly
	// as many bytes as the payload, whatever quoting it gets.
	s1, s2 := size(10000), size(20000)
	if s2-s1 != 10000 {
		t.Fatalf("data grew by %d bytes for 10000 more payload bytes", s2-s1)
	}
	base := s1 - 10000

	// Exactly at the limit is fine.
	if _, err := bundle.Encode(withPayload(1<<20 - base)); err != nil {
		t.Errorf("Encode of exactly 1 MiB: %v", err)
	}
	for _, over := range []int{1, 4321} {
		_, err := bundle.Encode(withPayload(1<<20 - base + over))
		var tl *bundle.TooLargeError
		if !errors.As(err, &tl) {
			t.Fatalf("Encode of 1 MiB + %d = %v, want a *TooLargeError", over, err)
		}
		if tl.Size != 1<<20+over || tl.Environment != "staging" {
			t.Errorf("TooLargeError = %+v, want size %d", tl, 1<<20+over)
		}
		msg := err.Error()
		if !strings.Contains(msg, fmt.Sprintf(" %d bytes over", over)) || !strings.Contains(msg, `"staging"`) {
			t.Errorf("message %q does not say it is %d bytes over, for staging", msg, over)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	good := string(encode(t, spec(manifests())))
	docs := documents([]byte(good))
	cm := docs[len(docs)-1]
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "empty"},
		{"blank", "\n\n---\n", "empty"},
		{"a Deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n", "not an ork bundle"},
		{"a ConfigMap not managed by ork", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  katalog.yaml: \"\"\n  lock.yaml: \"\"\n", "managed by ork"},
		{"no katalog", strings.Replace(cm, "  katalog.yaml:", "  other.yaml:", 1), "data.katalog.yaml"},
		{"no lock", strings.Replace(cm, "  lock.yaml:", "  other.yaml:", 1), "data.lock.yaml"},
		{"not YAML", "{{{{", "not an ork bundle"},
		{"broken CRD", "kind: [\n---\n" + cm, "not an ork bundle"},
		{"a list", "- a\n- b\n", "not an ork bundle"},
		{"binary", "\x00\x01\x02", "not an ork bundle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := bundle.Load([]byte(tt.data))
			if err == nil {
				t.Fatalf("Load succeeded: %+v", b)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
	if _, err := bundle.ReadFile(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile of a missing file = %v, want ErrNotExist", err)
	}
	path := filepath.Join(t.TempDir(), "deploy.yaml")
	if err := os.WriteFile(path, []byte(tests[2].data), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadFile of a non-bundle = %v, want an error naming %s", err, path)
	}
}

// TestVerifyRefusesSmuggledDocuments appends or inserts a document that
// kubectl, a YAML parser, or both read: Load reads the bundle, Verify calls
// it tampering and names the document's kind and line.
func TestVerifyRefusesSmuggledDocuments(t *testing.T) {
	good := string(encode(t, spec(manifests())))
	lines := strings.Count(good, "\n")
	after := lines + 2 // the line of a document appended after a separator line
	secret := "apiVersion: v1\nkind: Secret\nmetadata: {name: evil, namespace: default}\nstringData: {a: b}\n"
	docs := documents([]byte(good))
	crdLines := strings.Count(docs[0], "\n")
	tests := []struct {
		name, data, want string
	}{
		{"after a kubectl separator", good + "--- \n" + secret, fmt.Sprintf("line %d: a Secret document is not part of the bundle", after)},
		{"after --- with a comment", good + "--- # x\n" + secret, fmt.Sprintf("line %d: a Secret document", after)},
		{"after --- !!map", good + "--- !!map\n" + secret, fmt.Sprintf("line %d: a Secret document", lines+1)},
		{"after --- &a", good + "--- &a\n" + secret, fmt.Sprintf("line %d: a Secret document", lines+1)},
		{"after --- {", good + "--- {apiVersion: v1, kind: Secret, metadata: {name: evil}}\n", fmt.Sprintf("line %d: a Secret document", lines+1)},
		{"after --- |", good + "--- |\n  kind: Secret\n", fmt.Sprintf("line %d: a scalar document", lines+1)},
		{"after ...", good + "...\n" + secret, fmt.Sprintf("line %d: a Secret document", after)},
		{"after ... and ---", good + "...\n--- !!map\n" + secret, fmt.Sprintf("line %d: a Secret document", after)},
		{"a second ork ConfigMap", good + "---\n" + docs[len(docs)-1], fmt.Sprintf("line %d: a ConfigMap document", after)},
		{"a Deployment before the ConfigMap", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\n" + good, "line 1: a Deployment document"},
		{"a Secret between CRDs", docs[0] + "---\n" + secret + "---\n" + strings.Join(docs[1:], "---\n"), fmt.Sprintf("line %d: a Secret document", crdLines+2)},
		{"a CRD after the ConfigMap", good + "---\n" + docs[0], fmt.Sprintf("line %d: a CustomResourceDefinition document", after)},
		{"a CRD smuggled inside a CRD", docs[0] + "--- !!map\n" + docs[1] + "---\n" + strings.Join(docs[1:], "---\n"), fmt.Sprintf("line %d: a CustomResourceDefinition document", crdLines+1)},
		{"a null document", good + "--- ~\n", fmt.Sprintf("line %d: a scalar document", lines+1)},
		{"a list", good + "---\n- a\n", fmt.Sprintf("line %d: a sequence document", after)},
		{"after ... and a comment", good + "... # end\n" + secret, fmt.Sprintf("line %d: a Secret document", after)},
		{"a hostile kind", good + "---\nkind: \"a\\nb\"\n", `a document of kind "a\nb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := bundle.Load([]byte(tt.data))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = b.Verify()
			if !errors.Is(err, bundle.ErrTampered) {
				t.Fatalf("Verify = %v, want ErrTampered", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
	// A comment appended after a separator is no document.
	b, err := bundle.Load([]byte(good + "--- # nothing\n# more\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(); err != nil {
		t.Errorf("a trailing comment: %v", err)
	}
}

// TestVerifyOlderLock: a lock.yaml that does not record the ConfigMap (an
// older ork's) is an error that says to generate the bundle again, not
// tampering: the digest covers it.
func TestVerifyOlderLock(t *testing.T) {
	b, err := bundle.Load(encode(t, spec(manifests())))
	if err != nil {
		t.Fatal(err)
	}
	lock := b.Data[bundle.LockKey]
	i := strings.Index(lock, "configMap:")
	j := strings.Index(lock, "sources:")
	if i < 0 || j < i {
		t.Fatalf("lock.yaml records no configMap:\n%s", lock)
	}
	b.Data[bundle.LockKey] = lock[:i] + lock[j:]
	b.Digest = bundle.Digest(b.Data)
	err = b.Verify()
	if !errors.Is(err, bundle.ErrOlderFormat) || errors.Is(err, bundle.ErrTampered) || !strings.Contains(err.Error(), "generate the bundle again") {
		t.Errorf("Verify of an older lock = %v", err)
	}
	// The other checks come first: an older bundle altered is tampered.
	b.Data[bundle.KatalogKey] += "x"
	if err := b.Verify(); !errors.Is(err, bundle.ErrTampered) {
		t.Errorf("Verify of an altered older bundle = %v", err)
	}
}

func TestLockRejectsUnknownFormat(t *testing.T) {
	b := &bundle.Bundle{Data: map[string]string{
		bundle.KatalogKey: "",
		bundle.LockKey:    "apiVersion: ork.dev/v2\nkind: BundleLock\n",
	}}
	b.Digest = bundle.Digest(b.Data)
	if _, err := b.Lock(); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("Lock of a v2 lock = %v", err)
	}
	if err := b.Verify(); err == nil || errors.Is(err, bundle.ErrTampered) {
		t.Errorf("Verify with an unreadable lock = %v, want an error that is not ErrTampered", err)
	}
}

func TestDigest(t *testing.T) {
	d := bundle.Digest(map[string]string{"a": "1", "b": "2"})
	for _, other := range []map[string]string{
		{"a": "1", "b": "3"},
		{"a": "1"},
		{"a": "1", "b": "2", "c": ""},
		{"a": "1b", "": "2"},
		{"a\x001": "", "b": "2"},
	} {
		if bundle.Digest(other) == d {
			t.Errorf("Digest(%q) collides with Digest(a=1, b=2)", other)
		}
	}
	if bundle.Digest(map[string]string{"b": "2", "a": "1"}) != d {
		t.Errorf("Digest depends on map order")
	}
	// The README's definition, computed by hand.
	if got, want := bundle.Digest(map[string]string{}), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; got != want {
		t.Errorf("Digest of no data = %s, want %s", got, want)
	}
	// Values longer than the buffer Digest hashes them through (32 KiB),
	// against the definition written out.
	for _, size := range []int{32<<10 - 1, 32 << 10, 32<<10 + 1, 100<<10 + 3} {
		var katalog strings.Builder
		for i := 0; katalog.Len() < size; i++ {
			fmt.Fprintf(&katalog, "line %d\n", i)
		}
		value := katalog.String()[:size]
		data := map[string]string{"katalog.yaml": value, "lock.yaml": "x\n"}
		sum := sha256.Sum256([]byte(fmt.Sprintf("katalog.yaml\x00%d\x00%slock.yaml\x002\x00x\n", len(value), value)))
		if got, want := bundle.Digest(data), "sha256:"+hex.EncodeToString(sum[:]); got != want {
			t.Errorf("Digest of a %d-byte katalog.yaml = %s, want %s", size, got, want)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "bundles", "dev.yaml")
	b := filepath.Join(dir, "bundles", "staging.yaml")

	changed, err := bundle.WriteFiles([]bundle.File{{Path: a, Data: []byte("a1")}, {Path: b, Data: []byte("b1")}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(changed, []bool{true, true}) {
		t.Errorf("first write changed = %v, want both", changed)
	}
	assertFile(t, a, "a1")
	assertFile(t, b, "b1")

	// Unchanged bytes are not rewritten: the modification time stays.
	past := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	for _, p := range []string{a, b} {
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
	changed, err = bundle.WriteFiles([]bundle.File{{Path: a, Data: []byte("a1")}, {Path: b, Data: []byte("b2")}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(changed, []bool{false, true}) {
		t.Errorf("second write changed = %v, want [false true]", changed)
	}
	if st, err := os.Stat(a); err != nil || !st.ModTime().Equal(past) {
		t.Errorf("unchanged file was rewritten (mtime %v)", st.ModTime())
	}
	if st, err := os.Stat(b); err != nil || st.ModTime().Equal(past) {
		t.Errorf("changed file kept its mtime")
	}
	assertFile(t, b, "b2")
	if st, _ := os.Stat(b); st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", st.Mode().Perm())
	}
	assertOnly(t, filepath.Join(dir, "bundles"), "dev.yaml", "staging.yaml")
}

func TestWriteFilesAtomic(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "dev.yaml")
	if err := os.WriteFile(a, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "blocker")
	if err := os.WriteFile(blocker, []byte("a file, not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	c := filepath.Join(sub, "prod.yaml")
	tests := []struct {
		name string
		bad  string
	}{
		{"parent is a file", filepath.Join(blocker, "staging.yaml")},
		{"grandparent is a file", filepath.Join(blocker, "deeper", "staging.yaml")},
		{"target is a directory", sub},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed, err := bundle.WriteFiles([]bundle.File{
				{Path: a, Data: []byte("new")},
				{Path: c, Data: []byte("new")},
				{Path: tt.bad, Data: []byte("new")},
			})
			if err == nil {
				t.Fatalf("WriteFiles succeeded (changed %v), want an error", changed)
			}
			assertFile(t, a, "old")
			if _, err := os.Stat(c); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s was written although the run failed", c)
			}
			assertOnly(t, dir, "blocker", "dev.yaml", "sub")
			assertOnly(t, sub)
		})
	}
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s = %q, want %q", path, got, want)
	}
}

// assertOnly checks that dir holds exactly the names given: no temporary
// files left behind.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

// TestRoundTripLeadingTab covers strings whose first line starts with a
// tab (a Makefile or a TSV file in a ConfigMap): YAML's encoder writes them
// as a literal block that YAML's decoder then refuses ("found a tab
// character where an indentation space is expected", yaml/go-yaml#383), so
// a bundle ork has just written must still load, verify and decode.
func TestRoundTripLeadingTab(t *testing.T) {
	for _, v := range []string{"\tindented first line\nsecond\n", "\t\n"} {
		for _, inCRD := range []bool{false, true} {
			cm := obj("v1", "ConfigMap", "apps", "tabs", m{"data": m{"Makefile": v}})
			c := crd("things.example.com")
			if inCRD {
				c["metadata"].(map[string]any)["annotations"] = m{"note": v}
			}
			data := encode(t, spec([]map[string]any{cm, c}))
			b, err := bundle.Load(data)
			if err != nil {
				t.Errorf("Load of a fresh bundle holding %q (in a CRD: %v): %v", v, inCRD, err)
				continue
			}
			if err := b.Verify(); err != nil {
				t.Errorf("Verify of a fresh bundle holding %q: %v", v, err)
				continue
			}
			ms, err := b.Manifests()
			if err != nil {
				t.Errorf("Manifests of a fresh bundle holding %q: %v", v, err)
				continue
			}
			if got := ms[0]["data"].(map[string]any)["Makefile"]; got != v {
				t.Errorf("Makefile = %q, want %q", got, v)
			}
		}
	}
}

// TestWriteFilesRemovesStaleTemps: the temporary files a killed run left
// beside a bundle (.<name>.<pid>-<n>.tmp of a process that no longer runs,
// and .<name>.<digits>.tmp of older ork, once old) are removed by the next
// write; a running process's, other files' and the user's own are kept.
func TestWriteFilesRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("cannot start a process:", err)
	}
	deadPID := dead.Process.Pid
	old := time.Now().Add(-time.Hour)
	files := map[string]bool{ // name: whether it stays
		fmt.Sprintf(".dev.yaml.%d-1.tmp", deadPID):     false,
		fmt.Sprintf(".dev.yaml.%d-7.tmp", os.Getpid()): true,  // this process runs
		".dev.yaml.1234567.tmp":                        false, // older ork's pattern, an hour old
		".dev.yaml.7654321.tmp":                        true,  // the same, written just now
		fmt.Sprintf(".staging.yaml.%d-1.tmp", deadPID): true,  // not a file being written
		".dev.yaml.notes.tmp":                          true,  // not ork's pattern
		"dev.yaml.1-1.tmp":                             true,  // not hidden: not ork's
	}
	for name := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
		if name == ".dev.yaml.1234567.tmp" {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := bundle.WriteFiles([]bundle.File{{Path: filepath.Join(dir, "dev.yaml"), Data: []byte("new")}}); err != nil {
		t.Fatal(err)
	}
	want := []string{"dev.yaml"}
	for name, stays := range files {
		if stays {
			want = append(want, name)
		}
	}
	sort.Strings(want)
	assertOnly(t, dir, want...)
}

// TestReadFileLimit: a bundle file over MaxFileBytes is refused before it
// is read.
func TestReadFileLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.yaml")
	if err := os.WriteFile(p, encode(t, spec(manifests())), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 200<<20); err != nil {
		t.Fatal(err)
	}
	_, err := bundle.ReadFile(p)
	if err == nil || !strings.Contains(err.Error(), "over the 16 MiB a bundle may hold") {
		t.Errorf("ReadFile of a 200 MiB file = %v", err)
	}
}

// TestEncodeManySpans: a Katalog of more manifests than one goroutine
// writes at a time is the documents EncodeDocument writes, in order, and a
// manifest that cannot be written fails the bundle with its own error,
// the first in order when several cannot.
func TestEncodeManySpans(t *testing.T) {
	var ms []map[string]any
	for i := range 1000 {
		ms = append(ms, obj("v1", "ConfigMap", "apps", fmt.Sprintf("c%04d", i), m{"data": m{"n": fmt.Sprint(i)}}))
	}
	b, err := bundle.Load(encode(t, spec(ms)))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, o := range ms {
		doc, err := bundle.EncodeDocument(o)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, string(doc))
	}
	if got := b.Data[bundle.KatalogKey]; got != strings.Join(want, "---\n") {
		t.Errorf("katalog.yaml of 1000 manifests is not their documents in order (%d bytes, want %d)", len(got), len(strings.Join(want, "---\n")))
	}
	ms[700]["data"] = m{"bad": math.Inf(1)}
	ms[300]["data"] = m{"bad": math.NaN()}
	if _, err := bundle.Encode(spec(ms)); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("Encode with manifests 300 and 700 unwritable: %v, want manifest 300's error", err)
	}
}
