package workload_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/compose"
	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/plan"
	"github.com/orkdev/ork/pkg/schema"
	"github.com/orkdev/ork/pkg/workload"
)

// BenchmarkPlan times the compare step of ork plan (plan.Compare and the
// text output; building the bundles is not timed) on one environment of
// the benchmark workload (a Deployment and a Service per service) against
// its previous bundle with 10% of the services changed (a label of the
// Deployment, the port of the Service), at 50, 500 and 2000 services, and
// logs the time per manifest and the ratios between sizes: the time should
// grow linearly with the bundle's size.
//
// A 2000-service Katalog does not fit a ConfigMap (1 MiB), so each bundle
// is encoded in parts and their Katalogs joined, for every size alike.
func BenchmarkPlan(b *testing.B) {
	sizes := []int{50, 500, 2000}
	perOp := map[int]time.Duration{}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			old, planned := workloadBundles(b, n)
			var p *plan.Plan
			for b.Loop() {
				var err error
				p, err = plan.Compare(&plan.Reference{Name: "previous", Bundle: old}, planned)
				if err != nil {
					b.Fatal(err)
				}
				if err := p.WriteText(io.Discard, plan.TextOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			if c := p.Counts(); c.Change != 2*n/10 {
				b.Fatalf("%d manifests changed, want %d", c.Change, 2*n/10)
			}
			d := b.Elapsed() / time.Duration(b.N)
			perOp[n] = d
			b.ReportMetric(float64(d.Nanoseconds())/float64(2*n), "ns/manifest")
		})
	}
	if len(perOp) == len(sizes) {
		base := sizes[0]
		for _, n := range sizes {
			b.Logf("%5d services (%5d manifests): %8.2f ms per plan; x%.1f the size of %d services, x%.1f the time",
				n, 2*n, float64(perOp[n].Microseconds())/1000, float64(n)/float64(base), base, float64(perOp[n])/float64(perOp[base]))
		}
	}
}

// workloadBundles builds the workload's environment, changes 10% of its
// services, and builds it again.
func workloadBundles(b *testing.B, services int) (old, planned *bundle.Bundle) {
	dir := b.TempDir()
	if err := workload.Write(dir, workload.Size{Services: services, Environments: 1}); err != nil {
		b.Fatal(err)
	}
	v := schema.New()
	old = build(b, dir, v)
	for i := 0; i < services; i += 10 {
		path := filepath.Join(dir, "base", fmt.Sprintf("svc-%04d.yaml", i))
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		s := strings.Replace(string(data), "tier: backend", "tier: frontend", 1)
		s = strings.Replace(s, "{name: http, port: 80, targetPort: http}", "{name: http, port: 8080, targetPort: http}", 1)
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return old, build(b, dir, v)
}

// build composes the Komposer in dir and encodes its one environment,
// 500 manifests to a part.
func build(b *testing.B, dir string, v *schema.Validator) *bundle.Bundle {
	k, err := komposer.Load(filepath.Join(dir, "komposer.yaml"), "komposer.yaml", v)
	if err != nil {
		b.Fatal(err)
	}
	kats, err := compose.Build(context.Background(), compose.Options{Komposer: k, Validator: v})
	if err != nil {
		b.Fatal(err)
	}
	kat := kats[0]
	out := &bundle.Bundle{Name: k.Bundle.Name, Namespace: k.Bundle.Namespace, Environment: kat.Env.Name, Data: map[string]string{}}
	var katalog strings.Builder
	for i := 0; i < len(kat.Manifests); i += 500 {
		data, err := bundle.Encode(bundle.Spec{
			Name: k.Bundle.Name, Namespace: k.Bundle.Namespace, Environment: kat.Env.Name,
			Manifests: kat.Manifests[i:min(i+500, len(kat.Manifests))], Sources: kat.Pins,
		})
		if err != nil {
			b.Fatal(err)
		}
		part, err := bundle.Load(data)
		if err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			katalog.WriteString("---\n")
		}
		katalog.WriteString(part.Data[bundle.KatalogKey])
		out.Data[bundle.LockKey] = part.Data[bundle.LockKey]
	}
	out.Data[bundle.KatalogKey] = katalog.String()
	out.Digest = bundle.Digest(out.Data)
	return out
}
