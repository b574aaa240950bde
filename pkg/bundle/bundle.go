// Package bundle encodes, loads and verifies ork bundles: one multi-document
// YAML file per environment holding the Katalog's CustomResourceDefinitions
// and a ConfigMap with the locked Katalog.
//
// A runtime imports this package to read the bundle it reconciles against. It
// depends on the standard library and a YAML package only.
package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Names and labels of the bundle format.
const (
	APIVersion        = "ork.dev/v1alpha1"
	LockKind          = "BundleLock"
	KatalogKey        = "katalog.yaml"
	LockKey           = "lock.yaml"
	DigestAnnotation  = "ork.dev/digest"
	EnvironmentLabel  = "ork.dev/environment"
	ManagedByLabel    = "app.kubernetes.io/managed-by"
	crdGroup          = "apiextensions.k8s.io"
	crdKind           = "CustomResourceDefinition"
	configMapMaxBytes = 1 << 20
)

// ErrTampered is returned by Verify when a bundle's contents no longer match
// its digest.
var ErrTampered = errors.New("bundle was altered after it was generated")

// Lock is the content of a bundle's data.lock.yaml: what the environment was
// built from, and the digest of each CRD document as written.
type Lock struct {
	APIVersion  string      `yaml:"apiVersion"`
	Kind        string      `yaml:"kind"`
	Environment string      `yaml:"environment"`
	Sources     []Pin       `yaml:"sources"`
	CRDs        []CRDDigest `yaml:"crds,omitempty"`
}

// Pin records one resolved input of an environment.
type Pin struct {
	Name     string `yaml:"name"`
	Type     string `yaml:"type"`               // path, overlay, git, oci, oci-layout, or branch (the commit a branch environment was read from)
	Location string `yaml:"location"`           // the path, URL or reference asked for
	Ref      string `yaml:"ref,omitempty"`      // the floating ref asked for, if any
	Path     string `yaml:"path,omitempty"`     // the sub-directory of a Git source
	ID       string `yaml:"id"`                 // the immutable id it resolved to
	From     string `yaml:"promoted,omitempty"` // the environment a promotion copied it from
}

// CRDDigest is the sha256 of one CRD document of the bundle, as written.
type CRDDigest struct {
	Name   string `yaml:"name"`
	SHA256 string `yaml:"sha256"`
}

// Bundle is a decoded bundle.
type Bundle struct {
	Name        string // the ConfigMap's name
	Namespace   string
	Environment string
	Digest      string   // the ork.dev/digest annotation
	CRDs        [][]byte // each CRD document, as written
	Data        map[string]string
}

// Spec says what goes into a bundle.
type Spec struct {
	Name        string
	Namespace   string
	Environment string
	Manifests   []map[string]any // the Katalog, in any order
	Sources     []Pin
}

// TooLargeError reports a ConfigMap over the Kubernetes size limit.
type TooLargeError struct {
	Environment string
	Size        int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("environment %q: bundle ConfigMap data is %d bytes, %d bytes over the 1 MiB (%d bytes) ConfigMap limit",
		e.Environment, e.Size, e.Size-configMapMaxBytes, configMapMaxBytes)
}

// Encode renders the bundle's bytes: every CRD as its own document (sorted by
// name), then the ConfigMap. The same Spec always gives the same bytes.
func Encode(s Spec) ([]byte, error) {
	type item struct {
		key [4]string
		obj map[string]any
	}
	var crds, others []item
	for _, m := range s.Manifests {
		k := sortKey(m)
		if k[0] == crdGroup && k[1] == crdKind {
			crds = append(crds, item{k, m})
		} else {
			others = append(others, item{k, m})
		}
	}
	for _, l := range [][]item{crds, others} {
		sort.Slice(l, func(i, j int) bool { return lessKey(l[i].key, l[j].key) })
	}

	lock := Lock{APIVersion: APIVersion, Kind: LockKind, Environment: s.Environment, Sources: s.Sources}
	var out bytes.Buffer
	for _, c := range crds {
		doc, err := encodeDocument(c.obj)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(doc)
		lock.CRDs = append(lock.CRDs, CRDDigest{Name: c.key[3], SHA256: hex.EncodeToString(sum[:])})
		out.Write(doc)
		out.WriteString("---\n")
	}

	// The Katalog's documents are written into one buffer.
	var katalog writer
	for i, o := range others {
		if i > 0 {
			katalog.buf = append(katalog.buf, "---\n"...)
		}
		if err := katalog.document(o.obj); err != nil {
			return nil, err
		}
	}
	lockBytes, err := marshal(lock)
	if err != nil {
		return nil, err
	}
	data := map[string]string{KatalogKey: string(katalog.buf), LockKey: string(lockBytes)}
	if size := len(data[KatalogKey]) + len(data[LockKey]); size > configMapMaxBytes {
		return nil, &TooLargeError{Environment: s.Environment, Size: size}
	}
	doc, err := configMap(s, data)
	if err != nil {
		return nil, err
	}
	out.Write(doc)
	return out.Bytes(), nil
}

// configMap renders the bundle's ConfigMap; its data values, multi-line
// strings, are written as literal block scalars.
func configMap(s Spec, data map[string]string) ([]byte, error) {
	return encodeDocument(map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":        s.Name,
			"namespace":   s.Namespace,
			"labels":      map[string]any{ManagedByLabel: "ork", EnvironmentLabel: s.Environment},
			"annotations": map[string]any{DigestAnnotation: Digest(data)},
		},
		"data": map[string]any{KatalogKey: data[KatalogKey], LockKey: data[LockKey]},
	})
}

// encodeDocument writes one manifest as a YAML document.
func encodeDocument(m map[string]any) ([]byte, error) {
	var w writer
	if err := w.document(m); err != nil {
		return nil, err
	}
	return w.buf, nil
}

// literalSafe reports whether s can be written as a clipped literal block
// scalar ("|") and read back unchanged: it ends in exactly one newline,
// does not start with a space or an empty line, and holds only printable
// characters, tabs and newlines.
func literalSafe(s string) bool {
	if !strings.HasSuffix(s, "\n") || strings.HasSuffix(s, "\n\n") || s == "\n" {
		return false
	}
	if s[0] == ' ' || s[0] == '\n' || strings.Contains(s, "\n\t") || s[0] == '\t' {
		return false // yaml.v3 cannot read a block line that starts with a tab
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r == '\uFEFF' || r == utf8.RuneError:
			return false
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029:
			return false
		}
	}
	return true
}

// Digest computes the value of the ork.dev/digest annotation over a
// ConfigMap's data: "sha256:" and the hex sha256 of, for each key in
// byte-wise sorted order, the key, a NUL byte, the value's length in bytes
// as a decimal number, a NUL byte, and the value.
func Digest(data map[string]string) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(len(data[k]))))
		h.Write([]byte{0})
		h.Write([]byte(data[k]))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Identity returns a manifest's API group, kind, namespace and name: the
// order of a bundle.
func Identity(m map[string]any) [4]string { return sortKey(m) }

func sortKey(m map[string]any) [4]string {
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	meta, _ := m["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	group := ""
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		group = apiVersion[:i]
	}
	return [4]string{group, kind, ns, name}
}

func lessKey(a, b [4]string) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// ReadFile loads the bundle at path.
func ReadFile(path string) (*Bundle, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, err := Load(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Load decodes a bundle without verifying it; call Verify before trusting it.
func Load(data []byte) (*Bundle, error) {
	docs := SplitDocuments(data)
	if len(docs) == 0 {
		return nil, errors.New("not an ork bundle: the file is empty")
	}
	b := &Bundle{}
	for _, doc := range docs[:len(docs)-1] {
		var head struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return nil, fmt.Errorf("not an ork bundle: %w", err)
		}
		if head.Kind != crdKind {
			return nil, fmt.Errorf("not an ork bundle: a %s document stands before the ConfigMap", head.Kind)
		}
		b.CRDs = append(b.CRDs, doc)
	}
	cm, err := FromConfigMap(docs[len(docs)-1])
	if err != nil {
		return nil, err
	}
	cm.CRDs = b.CRDs
	return cm, nil
}

// FromConfigMap reads a bundle's ConfigMap, as a bundle file holds it or as
// the cluster returns it (kubectl get configmap -o yaml), without its CRDs
// and without verifying it.
func FromConfigMap(doc []byte) (*Bundle, error) {
	var cm struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name        string            `yaml:"name"`
			Namespace   string            `yaml:"namespace"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"metadata"`
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(doc, &cm); err != nil {
		return nil, fmt.Errorf("not an ork bundle: %w", err)
	}
	if cm.Kind != "ConfigMap" || cm.Metadata.Labels[ManagedByLabel] != "ork" {
		return nil, errors.New("not an ork bundle: its last document is not a ConfigMap managed by ork")
	}
	for _, k := range []string{KatalogKey, LockKey} {
		if _, ok := cm.Data[k]; !ok {
			return nil, fmt.Errorf("not an ork bundle: the ConfigMap has no data.%s", k)
		}
	}
	return &Bundle{
		Name:        cm.Metadata.Name,
		Namespace:   cm.Metadata.Namespace,
		Environment: cm.Metadata.Labels[EnvironmentLabel],
		Digest:      cm.Metadata.Annotations[DigestAnnotation],
		Data:        cm.Data,
	}, nil
}

// KatalogDocuments returns the documents of the ConfigMap's Katalog, as
// written, undecoded.
func (b *Bundle) KatalogDocuments() [][]byte {
	return SplitDocuments([]byte(b.Data[KatalogKey]))
}

// SplitDocuments splits a YAML stream at its document separators: lines
// that start with "---" followed by nothing but spaces or a comment, as
// kubectl reads them.
func SplitDocuments(data []byte) [][]byte {
	var docs [][]byte
	start := 0
	for start < len(data) {
		end := len(data)
		next := len(data)
		for i := start; i < len(data); {
			j := bytes.IndexByte(data[i:], '\n')
			lineEnd := len(data)
			if j >= 0 {
				lineEnd = i + j + 1
			}
			if isSeparator(data[i:lineEnd]) {
				end, next = i, lineEnd
				break
			}
			i = lineEnd
		}
		if doc := data[start:end]; len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
		start = next
	}
	return docs
}

// Verify recomputes the bundle's digest over its ConfigMap data and the
// sha256 of every CRD document, and returns an error wrapping ErrTampered
// when anything differs.
func (b *Bundle) Verify() error {
	if got := Digest(b.Data); got != b.Digest {
		return fmt.Errorf("%w: the ConfigMap data hashes to %s, the annotation says %q", ErrTampered, got, b.Digest)
	}
	lock, err := b.Lock()
	if err != nil {
		return err
	}
	if lock.Environment != b.Environment {
		// The label is outside the digest; lock.yaml, inside it, says.
		return fmt.Errorf("%w: the ConfigMap is labelled environment %q, its lock.yaml says %q", ErrTampered, b.Environment, lock.Environment)
	}
	if len(lock.CRDs) != len(b.CRDs) {
		return fmt.Errorf("%w: lock.yaml lists %d CRDs, the file holds %d", ErrTampered, len(lock.CRDs), len(b.CRDs))
	}
	for i, doc := range b.CRDs {
		sum := sha256.Sum256(doc)
		if got := hex.EncodeToString(sum[:]); got != lock.CRDs[i].SHA256 {
			return fmt.Errorf("%w: CRD %s hashes to %s, lock.yaml says %s", ErrTampered, lock.CRDs[i].Name, got, lock.CRDs[i].SHA256)
		}
	}
	return nil
}

// Lock decodes the bundle's data.lock.yaml.
func (b *Bundle) Lock() (*Lock, error) {
	var l Lock
	if err := yaml.Unmarshal([]byte(b.Data[LockKey]), &l); err != nil {
		return nil, fmt.Errorf("data.%s: %w", LockKey, err)
	}
	if l.APIVersion != APIVersion || l.Kind != LockKind {
		return nil, fmt.Errorf("data.%s: unknown format %s/%s (want %s/%s)", LockKey, l.APIVersion, l.Kind, APIVersion, LockKind)
	}
	return &l, nil
}

// Manifests decodes the Katalog held in the ConfigMap, in bundle order.
func (b *Bundle) Manifests() ([]map[string]any, error) {
	var out []map[string]any
	dec := yaml.NewDecoder(strings.NewReader(b.Data[KatalogKey]))
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("data.%s: %w", KatalogKey, err)
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// isSeparator reports whether line is a document separator.
func isSeparator(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("---"))
	if !ok {
		return false
	}
	rest = bytes.TrimSpace(rest)
	return len(rest) == 0 || rest[0] == '#'
}
