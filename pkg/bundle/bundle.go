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
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
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
	katalogGroup      = "orkestra.orkspace.io" // the Orkestra runtime's Katalog
	katalogKind       = "Katalog"
	configMapMaxBytes = 1 << 20
)

// ErrTampered is returned by Verify when a bundle's contents no longer match
// its digest.
var ErrTampered = errors.New("bundle was altered after it was generated")

// ErrOlderFormat is returned by Verify, after every other check passed,
// for a bundle an older ork wrote: its lock.yaml does not record the
// ConfigMap's name and namespace, which therefore cannot be checked.
var ErrOlderFormat = errors.New("an older ork wrote this bundle")

// Lock is the content of a bundle's data.lock.yaml: what the environment was
// built from, and the digest of each CRD document as written.
type Lock struct {
	APIVersion  string      `yaml:"apiVersion"`
	Kind        string      `yaml:"kind"`
	Environment string      `yaml:"environment"`
	ConfigMap   Object      `yaml:"configMap"` // the bundle's own ConfigMap, as a runtime reads it
	Sources     []Pin       `yaml:"sources"`
	CRDs        []CRDDigest `yaml:"crds,omitempty"`
}

// Object names a namespaced Kubernetes object.
type Object struct {
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
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

	extra []string // the documents beyond the CRDs and the ConfigMap, which Verify refuses
}

// Spec says what goes into a bundle.
type Spec struct {
	Name        string
	Namespace   string
	Environment string
	Manifests   []map[string]any // the Katalog, in any order
	// Encoded, when set, holds beside Manifests[i] the bytes EncodeDocument
	// writes for it, or nil: a manifest that several bundles share is
	// written once.
	Encoded [][]byte
	Sources []Pin
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
// name), then the ConfigMap, whose katalog.yaml begins with the Orkestra
// Katalog, if there is one, then the other manifests in order. The same Spec
// always gives the same bytes.
func Encode(s Spec) ([]byte, error) {
	type item struct {
		key [4]string
		obj map[string]any
		doc []byte // written already, when set
	}
	var crds, others []item
	for i, m := range s.Manifests {
		k := sortKey(m)
		it := item{key: k, obj: m}
		if i < len(s.Encoded) {
			it.doc = s.Encoded[i]
		}
		if k[0] == crdGroup && k[1] == crdKind {
			crds = append(crds, it)
		} else {
			others = append(others, it)
		}
	}
	for _, l := range [][]item{crds, others} {
		sort.Slice(l, func(i, j int) bool { return lessKey(l[i].key, l[j].key) })
	}
	// The Orkestra runtime decodes only the first document of katalog.yaml
	// as its Katalog, so the Katalog (one per bundle) goes first.
	for i, o := range others {
		if o.key[0] == katalogGroup && o.key[1] == katalogKind {
			copy(others[1:i+1], others[:i])
			others[0] = o
			break
		}
	}

	lock := Lock{APIVersion: APIVersion, Kind: LockKind, Environment: s.Environment,
		ConfigMap: Object{Name: s.Name, Namespace: s.Namespace}, Sources: s.Sources}
	var out writer // the bundle: CRDs, then the ConfigMap
	for _, c := range crds {
		doc := c.doc
		if doc == nil {
			var err error
			if doc, err = EncodeDocument(c.obj); err != nil {
				return nil, err
			}
		}
		sum := sha256.Sum256(doc)
		lock.CRDs = append(lock.CRDs, CRDDigest{Name: c.key[3], SHA256: hex.EncodeToString(sum[:])})
		out.buf = append(out.buf, doc...)
		out.buf = append(out.buf, "---\n"...)
	}

	// The Katalog's documents are written in spans, on every core (an
	// environment built alone, after a change, has them all to write), and
	// joined in one buffer.
	const span = 256
	parts := make([][]byte, (len(others)+span-1)/span)
	errs := make([]error, len(parts))
	onEveryCore(len(parts), func(p int) {
		w := writer{buf: (*spanBuffers.Get().(*[]byte))[:0]}
		for i := p * span; i < min((p+1)*span, len(others)); i++ {
			if i > 0 {
				w.buf = append(w.buf, "---\n"...)
			}
			if o := others[i]; o.doc != nil {
				w.buf = append(w.buf, o.doc...)
			} else if errs[p] = w.document(o.obj); errs[p] != nil {
				return
			}
		}
		parts[p] = w.buf
	})
	for _, err := range errs {
		if err != nil {
			return nil, err // the first, as written in order
		}
	}
	size := 0
	for _, part := range parts {
		size += len(part)
	}
	var katalog strings.Builder // the spans joined in one copy
	katalog.Grow(size)
	for _, part := range parts {
		katalog.Write(part)
		spanBuffers.Put(&part)
	}
	lockBytes, err := marshal(lock)
	if err != nil {
		return nil, err
	}
	data := map[string]string{KatalogKey: katalog.String(), LockKey: string(lockBytes)}
	if size := len(data[KatalogKey]) + len(data[LockKey]); size > configMapMaxBytes {
		return nil, &TooLargeError{Environment: s.Environment, Size: size}
	}
	// Room for the ConfigMap at once: its data's lines indented by four,
	// and its other fields.
	lines := strings.Count(data[KatalogKey], "\n") + strings.Count(data[LockKey], "\n")
	out.buf = slices.Grow(out.buf, len(data[KatalogKey])+len(data[LockKey])+4*lines+1024)
	if err := out.document(configMap(s, data)); err != nil {
		return nil, err
	}
	return out.buf, nil
}

// spanBuffers are the buffers spans of a Katalog are written in, kept for
// the next span once joined: an environment's buffers are the size the
// next one needs, and are not grown again from nothing.
var spanBuffers = sync.Pool{New: func() any { return new([]byte) }}

// configMap is the bundle's ConfigMap; its data values, multi-line
// strings, are written as literal block scalars.
func configMap(s Spec, data map[string]string) map[string]any {
	return map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":        s.Name,
			"namespace":   s.Namespace,
			"labels":      map[string]any{ManagedByLabel: "ork", EnvironmentLabel: s.Environment},
			"annotations": map[string]any{DigestAnnotation: Digest(data)},
		},
		"data": map[string]any{KatalogKey: data[KatalogKey], LockKey: data[LockKey]},
	}
}

// EncodeDocument writes one manifest as a YAML document, as Encode does.
func EncodeDocument(m map[string]any) ([]byte, error) {
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
	for i := 0; i < len(s); i++ {
		// Printable ASCII, tabs and newlines are the common case: a
		// table lookup each. Anything else is decoded as runes from
		// there on.
		if c := s[i]; !plainText[c] {
			return c >= 0x80 && printableRunes(s[i:])
		}
	}
	return true
}

// plainText holds the bytes of printable ASCII, tabs and newlines.
var plainText = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	t['\n'], t['\t'] = true, true
	return t
}()

// printableRunes reports whether s holds only printable characters, tabs
// and newlines.
func printableRunes(s string) bool {
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
	var chunk []byte
	for _, k := range keys {
		chunk = append(chunk[:0], k...)
		chunk = append(chunk, 0)
		chunk = strconv.AppendInt(chunk, int64(len(data[k])), 10)
		h.Write(append(chunk, 0))
		// The value in pieces through one buffer: a katalog.yaml of a
		// megabyte is not copied whole to be hashed.
		for v := data[k]; len(v) > 0; {
			n := min(len(v), 32<<10)
			chunk = append(chunk[:0], v[:n]...)
			h.Write(chunk)
			v = v[n:]
		}
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

// MaxFileBytes is the largest bundle file ReadFile reads: 16 MiB (its
// ConfigMap holds at most 1 MiB, the rest is CRDs). A larger file is
// refused before it is read, so memory stays bounded.
const MaxFileBytes = 16 << 20

// ReadBytes reads the file at path, refusing one over MaxFileBytes before
// reading it.
func ReadBytes(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > MaxFileBytes {
		return nil, fmt.Errorf("%s: not an ork bundle: the file is %d bytes, over the %d MiB a bundle may hold", path, st.Size(), MaxFileBytes>>20)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: not an ork bundle: the file is over the %d MiB a bundle may hold", path, MaxFileBytes>>20)
	}
	return data, nil
}

// ReadFile loads the bundle at path.
func ReadFile(path string) (*Bundle, error) {
	data, err := ReadBytes(path)
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
//
// A bundle is its CRD documents, then one ConfigMap managed by ork. Load
// reads the file as kubectl does (documents split at "---" lines) and as a
// YAML parser does ("--- !!map", "--- &a", "--- {", "--- |", "..." then a
// document): a document either reader would see beyond those is recorded,
// and Verify reports it as tampering.
func Load(data []byte) (*Bundle, error) {
	chunks := splitChunks(data)
	if len(chunks) == 0 {
		return nil, errors.New("not an ork bundle: the file is empty")
	}
	type doc struct {
		line  int
		chunk int
		root  *yaml.Node
		first bool // the first YAML document of its kubectl document
	}
	var docs []doc
	for i, c := range chunks {
		// A YAML parser also ends a document at a "..." line, and reads
		// what follows as a new one.
		for p, piece := range splitAt(data[c.start:c.end], c.line, isDocumentEnd) {
			dec := yaml.NewDecoder(bytes.NewReader(data[c.start+piece.start : c.start+piece.end]))
			for n := 0; ; n++ {
				var d yaml.Node
				if err := dec.Decode(&d); err != nil {
					if errors.Is(err, io.EOF) {
						break
					}
					return nil, fmt.Errorf("not an ork bundle: the document at line %d: %w", piece.line, err)
				}
				root := &d
				if len(d.Content) > 0 {
					root = d.Content[0]
				}
				line := piece.line
				if root.Line > 0 {
					line += root.Line - 1
				}
				docs = append(docs, doc{line: line, chunk: i, root: root, first: p == 0 && n == 0})
			}
		}
	}
	cmAt := -1
	for i, d := range docs {
		if isOrkConfigMap(d.root) {
			cmAt = i
			break
		}
	}
	if cmAt < 0 {
		return nil, errors.New("not an ork bundle: it holds no ConfigMap managed by ork")
	}
	cm, err := fromNode(docs[cmAt].root)
	if err != nil {
		return nil, err
	}
	for i, d := range docs {
		switch {
		case i == cmAt && d.first:
		case i < cmAt && d.first && isCRD(d.root):
			c := chunks[d.chunk]
			cm.CRDs = append(cm.CRDs, data[c.start:c.end])
		default:
			cm.extra = append(cm.extra, fmt.Sprintf("line %d: %s is not part of the bundle, which holds its CRDs and one ConfigMap", d.line, describe(d.root)))
		}
	}
	return cm, nil
}

// isOrkConfigMap reports whether a document is a ConfigMap managed by ork.
func isOrkConfigMap(n *yaml.Node) bool {
	var head struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
	}
	return n.Kind == yaml.MappingNode && n.Decode(&head) == nil && head.Kind == "ConfigMap" && head.Metadata.Labels[ManagedByLabel] == "ork"
}

// isCRD reports whether a document is a CustomResourceDefinition.
func isCRD(n *yaml.Node) bool {
	var head struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
	}
	return n.Kind == yaml.MappingNode && n.Decode(&head) == nil && head.Kind == crdKind && strings.HasPrefix(head.APIVersion, crdGroup+"/")
}

// describe names a document for a message: "a Secret document".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		var head struct {
			Kind string `yaml:"kind"`
		}
		if n.Decode(&head) == nil && head.Kind != "" {
			if plainSafe(head.Kind) && len(head.Kind) <= 64 {
				return fmt.Sprintf("a %s document", head.Kind)
			}
			return fmt.Sprintf("a document of kind %q", head.Kind)
		}
		return "a mapping without a kind"
	case yaml.SequenceNode:
		return "a sequence document"
	case yaml.ScalarNode:
		return "a scalar document"
	case yaml.AliasNode:
		return "an alias document"
	}
	return "an empty document"
}

// FromConfigMap reads a bundle's ConfigMap, as a bundle file holds it or as
// the cluster returns it (kubectl get configmap -o yaml), without its CRDs
// and without verifying it.
func FromConfigMap(doc []byte) (*Bundle, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil, fmt.Errorf("not an ork bundle: %w", err)
	}
	if len(n.Content) == 0 || !isOrkConfigMap(n.Content[0]) {
		return nil, errors.New("not an ork bundle: its last document is not a ConfigMap managed by ork")
	}
	return fromNode(n.Content[0])
}

// fromNode reads a ConfigMap managed by ork.
func fromNode(n *yaml.Node) (*Bundle, error) {
	var cm struct {
		Metadata struct {
			Name        string            `yaml:"name"`
			Namespace   string            `yaml:"namespace"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"metadata"`
		Data map[string]string `yaml:"data"`
	}
	if err := n.Decode(&cm); err != nil {
		return nil, fmt.Errorf("not an ork bundle: %w", err)
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
	for _, c := range splitChunks(data) {
		docs = append(docs, data[c.start:c.end])
	}
	return docs
}

// chunk is one document of a stream split as kubectl splits it: its bytes
// data[start:end], which begin on line line (from 1).
type chunk struct{ start, end, line int }

func splitChunks(data []byte) []chunk { return splitAt(data, 1, isSeparator) }

// splitAt splits data, whose first line is line, at the lines sep accepts,
// dropping them and the pieces that hold only white space.
func splitAt(data []byte, line int, sep func([]byte) bool) []chunk {
	var chunks []chunk
	start := 0
	for start < len(data) {
		end, next, nextLine := len(data), len(data), line
		for i, l := start, line; i < len(data); l++ {
			j := bytes.IndexByte(data[i:], '\n')
			lineEnd := len(data)
			if j >= 0 {
				lineEnd = i + j + 1
			}
			if sep(data[i:lineEnd]) {
				end, next, nextLine = i, lineEnd, l+1
				break
			}
			i = lineEnd
		}
		if len(bytes.TrimSpace(data[start:end])) > 0 {
			chunks = append(chunks, chunk{start: start, end: end, line: line})
		}
		start, line = next, nextLine
	}
	return chunks
}

// Verify recomputes the bundle's digest over its ConfigMap data and the
// sha256 of every CRD document, checks the ConfigMap's name, namespace and
// environment label against lock.yaml, and returns an error wrapping
// ErrTampered when anything differs or the file holds any other document.
func (b *Bundle) Verify() error {
	if len(b.extra) > 0 {
		return fmt.Errorf("%w: %s", ErrTampered, b.extra[0])
	}
	lock, older, err := b.verifyConfigMap()
	if err != nil {
		return err
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
	if older {
		return errOlderFormat()
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

// isDocumentEnd reports whether line is a YAML document end marker.
func isDocumentEnd(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("..."))
	if !ok {
		return false
	}
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r' || rest[0] == '#'
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

// verifyConfigMap checks what a runtime reads, the ConfigMap: the digest
// over its data, and its environment label, name and namespace (all outside
// the digest) against lock.yaml (inside it). older reports a bundle whose
// lock.yaml does not record the ConfigMap (an older ork's), whose name and
// namespace could not be checked.
func (b *Bundle) verifyConfigMap() (lock *Lock, older bool, err error) {
	if got := Digest(b.Data); got != b.Digest {
		return nil, false, fmt.Errorf("%w: the ConfigMap data hashes to %s, the annotation says %q", ErrTampered, got, b.Digest)
	}
	if lock, err = b.Lock(); err != nil {
		return nil, false, err
	}
	if lock.Environment != b.Environment {
		return nil, false, fmt.Errorf("%w: the ConfigMap is labelled environment %q, its lock.yaml says %q", ErrTampered, b.Environment, lock.Environment)
	}
	if cm := lock.ConfigMap; cm.Name == "" {
		older = true
	} else if cm.Name != b.Name || cm.Namespace != b.Namespace {
		return nil, false, fmt.Errorf("%w: the ConfigMap is %s/%s, its lock.yaml says %s/%s", ErrTampered, b.Namespace, b.Name, cm.Namespace, cm.Name)
	}
	return lock, older, nil
}

func errOlderFormat() error {
	return fmt.Errorf("%w: data.%s does not record the bundle's ConfigMap, so its name and namespace cannot be checked; generate the bundle again", ErrOlderFormat, LockKey)
}
