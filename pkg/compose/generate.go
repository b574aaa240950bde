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
			slot := bundleSlot(opts, env.Name)
			b := Bundle{Env: Env{Name: env.Name, Production: env.Production}}
			var ok bool
			// Most often the bundle on disk is the kept one: then the
			// entry's checksum says so, and the entry is not read.
			if cur := current(opts, env.Name); cur != nil {
				if head, held := r.Holds(slot, digest, cur); held {
					var rest []byte
					b.Manifests, b.CRDs, rest, ok = decodeCachedBundle(head)
					ok = ok && len(rest) == 0
					b.Data, b.Current = cur, true
				}
			}
			if !ok {
				payload, found := r.Get(slot, digest)
				if !found {
					return false
				}
				if b.Manifests, b.CRDs, b.Data, ok = decodeCachedBundle(payload); !ok {
					return false
				}
				b.Current = false
			}
			bundleHits.Add(1)
			put(i, b)
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
			_ = opts.Results.Put(bundleSlot(opts, kat.Env.Name), digest.(string), cachedBundleHead(manifests, crds), data)
		}
		put(i, Bundle{Env: kat.Env, Manifests: manifests, CRDs: crds, Data: data, Images: kat.Images})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out[:len(names)], nil
}

// current is the bundle on disk that env's would replace (Options.Current),
// or nil.
func current(opts Options, env string) []byte {
	if opts.Current == nil {
		return nil
	}
	return opts.Current(env)
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
