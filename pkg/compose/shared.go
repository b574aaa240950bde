package compose

import (
	"slices"
	"sync"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/merge"
	"github.com/orkdev/ork/pkg/orkestra"
)

// Manifests made once for all environments.
//
// A manifest made of the same documents (the same decoded documents, not
// equal ones), in the same order, in several environments, and which no
// template changes, is the same manifest in all of them: when Bundles
// builds several environments it merges, validates and encodes such a
// manifest once, and every environment's bundle takes its bytes.
// Most manifests of a Komposer are of this kind: the Services, ConfigMaps,
// RBAC and CRDs of a source that no overlay touches.
//
// A shared manifest is never modified once made, so an environment that
// changes its manifests after validation does not share: one with
// policies, an ephemeral environment, images pinned in the lock (pins are
// written into the manifests), explain's tracing. Neither is the Orkestra
// Katalog shared, whose crdFile entries each build resolves, nor a
// manifest that fails a template or validation: it is built in each
// environment, as without sharing, so that each reports its problems.

// sharedManifest is one manifest made for several environments.
type sharedManifest struct {
	docs []*manifest.Doc

	once sync.Once
	ok   bool           // made: no template changed it, and it is valid
	obj  map[string]any // completed; read-only

	yamlOnce sync.Once
	yaml     []byte
	yamlErr  error
}

// sharedManifests finds a shared manifest by its documents.
type sharedManifests struct {
	mu      sync.Mutex
	byFirst map[*manifest.Doc][]*sharedManifest
}

func (sm *sharedManifests) of(docs []*manifest.Doc) *sharedManifest {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.byFirst == nil {
		sm.byFirst = map[*manifest.Doc][]*sharedManifest{}
	}
	for _, s := range sm.byFirst[docs[0]] {
		if slices.Equal(s.docs, docs) {
			return s
		}
	}
	s := &sharedManifest{docs: slices.Clone(docs)}
	sm.byFirst[docs[0]] = append(sm.byFirst[docs[0]], s)
	return s
}

// sharing reports whether an environment built from layers shares its
// manifests.
func (b *builder) sharing(layers []*layer) bool {
	return b.share && b.settles(layers)
}

// settles reports whether the manifests of an environment built from
// layers are final once validated: no policy, image pin, trace or
// ephemeral rename changes them after.
func (b *builder) settles(layers []*layer) bool {
	if b.opts.Ephemeral != nil || b.opts.trace != nil || b.k.PinImages {
		return false
	}
	for _, l := range layers {
		if len(l.policies) > 0 {
			return false
		}
	}
	return true
}

// useShared gives e the shared manifest of its documents, making it if no
// environment has yet, and reports whether it could.
func (b *builder) useShared(e *entry, tmpl Env) bool {
	if e.own || len(e.docs) == 0 || orkestra.IsKatalog(e.id.Group, e.id.Kind) {
		return false
	}
	s := b.shared.of(e.docs)
	s.once.Do(func() { b.makeShared(s, tmpl) })
	if !s.ok {
		return false
	}
	e.obj, e.shared = s.obj, s
	return true
}

// makeShared merges, expands and validates a shared manifest.
func (b *builder) makeShared(s *sharedManifest, tmpl Env) {
	var merged any
	for _, d := range s.docs {
		merged = merge.Patch(merged, d.Object)
	}
	obj, _ := merged.(map[string]any)
	if obj == nil {
		return
	}
	if _, changed, errs := expand(obj, tmpl, b.k.SecretDeclared); changed || len(errs) > 0 {
		return // it depends on the environment, or each reports its error
	}
	rs, err := b.opts.Validator.Complete([]map[string]any{obj})
	if err != nil || len(rs[0].Violations) > 0 {
		return
	}
	s.obj, s.ok = rs[0].Object, true
}

// encoded is the shared manifest's YAML document, written once.
func (s *sharedManifest) encoded() ([]byte, error) {
	s.yamlOnce.Do(func() { s.yaml, s.yamlErr = bundle.EncodeDocument(s.obj) })
	return s.yaml, s.yamlErr
}

// sharedDocuments returns, beside each manifest, the YAML document of its
// shared manifest, or nil (bundle.Spec.Encoded).
func (kat *Katalog) sharedDocuments() ([][]byte, error) {
	if kat.shared == nil {
		return nil, nil
	}
	docs := make([][]byte, len(kat.shared))
	for i, s := range kat.shared {
		if s == nil {
			continue
		}
		var err error
		if docs[i], err = s.encoded(); err != nil {
			return nil, err
		}
	}
	return docs, nil
}
