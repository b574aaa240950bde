package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/runtime/inventory"
)

// KatalogKind is the kind of Orkestra's own documents in a bundle's
// Katalog, of any API group: the Orkestra runtime reads them, this one
// skips them.
const KatalogKind = "Katalog"

var configMapGVR = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// Loaded is a verified bundle and the objects the runtime holds.
type Loaded struct {
	Bundle  *bundle.Bundle
	Lock    *bundle.Lock
	Source  string // the file, or configmap NAMESPACE/NAME
	FromAPI bool   // read from the API: the bundle's CRDs are not in it
	Objects []*unstructured.Unstructured
	Skipped int // kind: Katalog documents left to Orkestra
}

// LoadFile reads and verifies the bundle file at path.
func LoadFile(path string) (*Loaded, error) {
	b, err := bundle.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := b.Verify(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return decode(b, path, false)
}

// LoadConfigMap reads the bundle's ConfigMap NAMESPACE/NAME from the API
// server, once, and verifies its digest.
func LoadConfigMap(ctx context.Context, dyn dynamic.Interface, ref string) (*Loaded, error) {
	ns, name, ok := strings.Cut(ref, "/")
	if !ok || ns == "" || name == "" {
		return nil, fmt.Errorf("--configmap %q: want NAMESPACE/NAME", ref)
	}
	u, err := dyn.Resource(configMapGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("configmap %s: %w", ref, err)
	}
	doc, err := json.Marshal(u.Object) // JSON is YAML
	if err != nil {
		return nil, err
	}
	b, err := bundle.FromConfigMap(doc)
	if err != nil {
		return nil, fmt.Errorf("configmap %s: %w", ref, err)
	}
	if err := b.VerifyConfigMap(); err != nil {
		return nil, fmt.Errorf("configmap %s: %w", ref, err)
	}
	return decode(b, "configmap "+ref, true)
}

// decode turns the bundle's CRDs (from a file) and its Katalog, less the
// Katalog documents, into objects, each labelled as a member of nothing
// yet (the caller labels them).
func decode(b *bundle.Bundle, source string, fromAPI bool) (*Loaded, error) {
	lock, err := b.Lock()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	l := &Loaded{Bundle: b, Lock: lock, Source: source, FromAPI: fromAPI}
	var manifests []map[string]any
	for i, doc := range b.CRDs {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("%s: CRD document %d: %w", source, i+1, err)
		}
		manifests = append(manifests, m)
	}
	katalog, err := b.Manifests()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	manifests = append(manifests, katalog...)
	seen := map[inventory.Key]bool{}
	for i, m := range manifests {
		if kind, _ := m["kind"].(string); kind == KatalogKind {
			l.Skipped++
			continue
		}
		data, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("%s: manifest %d: %w", source, i+1, err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("%s: manifest %d: %w", source, i+1, err)
		}
		k := KeyOf(u)
		if k.Name == "" || u.GetAPIVersion() == "" {
			return nil, fmt.Errorf("%s: manifest %d (%s): no apiVersion, kind or metadata.name", source, i+1, k)
		}
		if seen[k] {
			return nil, fmt.Errorf("%s: %s appears twice", source, k)
		}
		seen[k] = true
		l.Objects = append(l.Objects, u)
	}
	return l, nil
}

// IsTampered reports whether err says a bundle was altered.
func IsTampered(err error) bool { return errors.Is(err, bundle.ErrTampered) }

// KeyOf returns an object's key.
func KeyOf(u *unstructured.Unstructured) inventory.Key {
	gvk := u.GroupVersionKind()
	return inventory.Key{Group: gvk.Group, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName()}
}
