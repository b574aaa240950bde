package compose

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/orkdev/ork/pkg/cache"
	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/schema"
	"github.com/orkdev/ork/pkg/workload"
)

// BenchmarkBundles builds every environment's bundle in memory for the
// benchmark workloads (S services x E environments), without kept results.
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

// BenchmarkBundlesKept builds the 500x20 workload with results kept from
// the previous run: unchanged, and with one service of one overlay changed
// before each run.
func BenchmarkBundlesKept(b *testing.B) {
	size := workload.Size{Services: 500, Environments: 20}
	for _, change := range []bool{false, true} {
		b.Run(fmt.Sprintf("%s/changed=%v", size, change), func(b *testing.B) {
			dir := b.TempDir()
			if err := workload.Write(dir, size); err != nil {
				b.Fatal(err)
			}
			c, err := cache.Open(filepath.Join(dir, "cache"))
			if err != nil {
				b.Fatal(err)
			}
			r, err := c.Results("bench", schema.Digest())
			if err != nil {
				b.Fatal(err)
			}
			v := schema.New()
			path := filepath.Join(dir, "komposer.yaml")
			overlay := filepath.Join(dir, "envs", "env-05", "services.yaml")
			build := func() {
				k, err := komposer.Load(path, "komposer.yaml", v)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Bundles(context.Background(), Options{Komposer: k, Validator: v, Results: r}); err != nil {
					b.Fatal(err)
				}
			}
			build()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if change {
					b.StopTimer()
					changeReplicas(b, overlay, 1000+i)
					b.StartTimer()
				}
				build()
			}
		})
	}
}

var firstReplicas = regexp.MustCompile(`replicas: \d+`)

// changeReplicas sets the first service's replicas in an overlay file.
func changeReplicas(tb testing.TB, path string, n int) {
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	loc := firstReplicas.FindIndex(data)
	if loc == nil {
		tb.Fatalf("%s: no replicas", path)
	}
	out := append(append(append([]byte{}, data[:loc[0]]...), fmt.Sprintf("replicas: %d", n)...), data[loc[1]:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkBundlesCold builds the 500x20 workload into an empty results
// store each time: the cost of a first run, which keeps its results.
func BenchmarkBundlesCold(b *testing.B) {
	size := workload.Size{Services: 500, Environments: 20}
	dir := b.TempDir()
	if err := workload.Write(dir, size); err != nil {
		b.Fatal(err)
	}
	v := schema.New()
	path := filepath.Join(dir, "komposer.yaml")
	for i := 0; b.Loop(); i++ {
		c, err := cache.Open(filepath.Join(dir, fmt.Sprintf("cache-%d", i)))
		if err != nil {
			b.Fatal(err)
		}
		r, err := c.Results("bench", schema.Digest())
		if err != nil {
			b.Fatal(err)
		}
		k, err := komposer.Load(path, "komposer.yaml", v)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Bundles(context.Background(), Options{Komposer: k, Validator: v, Results: r}); err != nil {
			b.Fatal(err)
		}
	}
}
