package compose

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/schema"
	"github.com/orkdev/ork/pkg/workload"
)

// BenchmarkBundles builds every environment's bundle in memory for the
// benchmark workloads (S services x E environments).
func BenchmarkBundles(b *testing.B) {
	for _, size := range []workload.Size{{Services: 50, Environments: 3}, {Services: 500, Environments: 20}} {
		b.Run(size.String(), func(b *testing.B) {
			dir := b.TempDir()
			if err := workload.Write(dir, size); err != nil {
				b.Fatal(err)
			}
			v := schema.New()
			path := filepath.Join(dir, "komposer.yaml")
			b.ResetTimer()
			for b.Loop() {
				k, err := komposer.Load(path, "komposer.yaml", v)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Bundles(context.Background(), Options{Komposer: k, Validator: v}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
