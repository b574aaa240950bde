package compose

import (
	"context"
	"sync"

	"github.com/orkdev/ork/pkg/bundle"
)

// Bundle is one environment's encoded bundle.
type Bundle struct {
	Env       Env
	Manifests int // in the ConfigMap's Katalog
	CRDs      int // documents of their own
	Data      []byte
	Images    []string // the images pinned in ork.lock it uses, as written, sorted
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
	names, err := Walk(ctx, opts, func(i int, kat *Katalog) error {
		data, err := bundle.Encode(bundle.Spec{
			Name:        name,
			Namespace:   opts.Komposer.Bundle.Namespace,
			Environment: kat.Env.Name,
			Manifests:   kat.Manifests,
			Sources:     kat.Pins,
		})
		if err != nil {
			return err
		}
		manifests, crds := kat.Counts()
		mu.Lock()
		defer mu.Unlock()
		for len(out) <= i {
			out = append(out, Bundle{})
		}
		out[i] = Bundle{Env: kat.Env, Manifests: manifests, CRDs: crds, Data: data, Images: kat.Images}
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
