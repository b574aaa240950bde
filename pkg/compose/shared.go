package compose

import (
	"crypto/sha256"
	"slices"
	"sync"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/codec"
	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/merge"
	"github.com/orkdev/ork/pkg/orkestra"
)

// Manifests made once for all environments.
//
// A manifest made of the same documents (the same decoded documents, not
// equal ones), in the same order, in several environments, and which no
// template changes, is the same manifest in all of them: when Bundles
// builds several environments it merges, validates, keeps and encodes
// such a manifest once, and every environment's bundle takes its bytes.
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

	once  sync.Once
	ok    bool           // made: no template changed it, and it is valid
	obj   map[string]any // completed; read-only
	key   manifestKey    // its content key and kept result, with results kept
	value []byte

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
func (b *builder) useShared(e *entry, env string, tmpl Env) bool {
	if e.own || len(e.docs) == 0 || orkestra.IsKatalog(e.id.Group, e.id.Kind) {
		return false
	}
	s := b.shared.of(e.docs)
	s.once.Do(func() { b.makeShared(s, env, tmpl) })
	if !s.ok {
		return false
	}
	e.obj, e.shared = s.obj, s
	return true
}

// makeShared merges, expands and validates a shared manifest, with the
// results kept for env when there are.
func (b *builder) makeShared(s *sharedManifest, env string, tmpl Env) {
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
	if b.opts.Results != nil {
		data, ok := codec.AppendValue(nil, obj)
		if !ok {
			return
		}
		s.key = sha256.Sum256(data)
		if v, hit := b.kept.peek(b, env)[s.key]; hit {
			if r, err := readResult(v); err == nil && len(r.Violations) == 0 && r.Object != nil {
				resultHits.Add(1)
				s.obj, s.value, s.ok = r.Object, v, true
				return
			}
		}
	}
	rs, err := b.opts.Validator.Complete([]map[string]any{obj})
	if err != nil || len(rs[0].Violations) > 0 {
		return
	}
	if b.opts.Results != nil {
		var ok bool
		if s.value, ok = appendResult(nil, rs[0]); !ok {
			return
		}
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

// keptResults holds each environment's kept manifest results from the time
// a shared manifest, or the decoding of an overlay (to know whether its
// environment was built before), first looks into them to the time the
// environment's own manifests are completed, so that they are read once.
type keptResults struct {
	mu    sync.Mutex
	byEnv map[string]resultSet
}

// peek returns env's kept results, reading them if need be, and holds them.
func (k *keptResults) peek(b *builder, env string) resultSet {
	k.mu.Lock()
	defer k.mu.Unlock()
	if set, ok := k.byEnv[env]; ok {
		return set
	}
	if k.byEnv == nil {
		k.byEnv = map[string]resultSet{}
	}
	set := b.loadResults(env)
	k.byEnv[env] = set
	return set
}

// take returns env's kept results and stops holding them.
func (k *keptResults) take(b *builder, env string) resultSet {
	k.mu.Lock()
	set, ok := k.byEnv[env]
	delete(k.byEnv, env)
	k.mu.Unlock()
	if ok {
		return set
	}
	return b.loadResults(env)
}
