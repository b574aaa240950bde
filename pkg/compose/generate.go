package compose

import (
	"context"
	"sync"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/komposer"
)

// Bundle is one environment's encoded bundle.
type Bundle struct {
	Env       Env
	Manifests int // in the ConfigMap's Katalog
	CRDs      int // documents of their own
	Data      []byte
	Images    []string // the images pinned in ork.lock it uses, as written, sorted
	// Current says that Data is what Options.Current gave for the
	// environment, found to be the kept bundle: nothing to write.
	Current bool
}

// Bundles builds the bundle of each environment asked for, in memory. Each
// Katalog is encoded as soon as it is built and then released.
func Bundles(ctx context.Context, opts Options) ([]Bundle, error) {
	var out []Bundle
	var mu sync.Mutex
	name := opts.Komposer.Bundle.Name
	if opts.Ephemeral != nil {
		name = opts.Ephemeral.Name + "-" + name // its own ConfigMap, beside the original's
	}
	put := func(i int, b Bundle) {
		mu.Lock()
		defer mu.Unlock()
		for len(out) <= i {
			out = append(out, Bundle{})
		}
		out[i] = b
	}
	// With results kept, an environment whose inputs are unchanged takes
	// its bundle from the last run that built it; one that is built
	// leaves its bundle for the next.
	var hit func(i int, env komposer.Environment, inputs string) bool
	var inputs sync.Map // environment index -> inputs digest
	if r := opts.Results; r != nil {
		hit = func(i int, env komposer.Environment, digest string) bool {
			inputs.Store(i, digest)
			if opts.Current != nil {
				// Most often the bundle on disk is the kept one: then
				// the entry's checksum says so, and it is not read.
				if cur := opts.Current(env.Name); cur != nil {
					if head, ok := r.Holds(bundleSlot(opts, env.Name), digest, cur); ok {
						if manifests, crds, rest, ok := decodeCachedBundle(head); ok && len(rest) == 0 {
							bundleHits.Add(1)
							put(i, Bundle{Env: Env{Name: env.Name, Production: env.Production}, Manifests: manifests, CRDs: crds, Data: cur, Current: true})
							return true
						}
					}
				}
			}
			payload, ok := r.Get(bundleSlot(opts, env.Name), digest)
			if !ok {
				return false
			}
			manifests, crds, data, ok := decodeCachedBundle(payload)
			if !ok {
				return false
			}
			bundleHits.Add(1)
			put(i, Bundle{Env: Env{Name: env.Name, Production: env.Production}, Manifests: manifests, CRDs: crds, Data: data})
			return true
		}
	}
	opts.share = true
	names, err := walk(ctx, opts, hit, func(i int, kat *Katalog) error {
		encoded, err := kat.sharedDocuments()
		if err != nil {
			return err
		}
		data, err := bundle.Encode(bundle.Spec{
			Name:        name,
			Namespace:   opts.Komposer.Bundle.Namespace,
			Environment: kat.Env.Name,
			Manifests:   kat.Manifests,
			Encoded:     encoded,
			Sources:     kat.Pins,
		})
		if err != nil {
			return err
		}
		manifests, crds := kat.Counts()
		if digest, ok := inputs.Load(i); ok {
			// A failed write costs the next run time, not this one its bundle.
			_ = opts.Results.Put(bundleSlot(opts, kat.Env.Name), digest.(string), encodeCachedBundle(manifests, crds, data))
		}
		put(i, Bundle{Env: kat.Env, Manifests: manifests, CRDs: crds, Data: data, Images: kat.Images})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out[:len(names)], nil
}

// Counts returns how many manifests the Katalog holds besides its CRDs, and
// how many CRDs.
func (k *Katalog) Counts() (manifests, crds int) {
	for _, id := range k.IDs {
		if id.Kind == "CustomResourceDefinition" && id.Group == "apiextensions.k8s.io" {
			crds++
		}
	}
	return len(k.IDs) - crds, crds
}
