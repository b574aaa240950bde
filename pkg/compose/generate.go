package compose

import (
	"context"
	"errors"

	"github.com/orkdev/ork/pkg/bundle"
)

// Bundle is one environment's encoded bundle.
type Bundle struct {
	Katalog *Katalog
	Data    []byte
}

// Bundles builds the bundle of each environment asked for, in memory.
func Bundles(ctx context.Context, opts Options) ([]Bundle, error) {
	katalogs, err := Build(ctx, opts)
	if err != nil {
		return nil, err
	}
	out := make([]Bundle, 0, len(katalogs))
	var errs []error
	for _, kat := range katalogs {
		data, err := bundle.Encode(bundle.Spec{
			Name:        opts.Komposer.Bundle.Name,
			Namespace:   opts.Komposer.Bundle.Namespace,
			Environment: kat.Env.Name,
			Manifests:   kat.Manifests,
			Sources:     kat.Pins,
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, Bundle{Katalog: kat, Data: data})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
