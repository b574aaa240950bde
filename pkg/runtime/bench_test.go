package runtime_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/orkdev/ork/pkg/runtime/inventory"
	"github.com/orkdev/ork/pkg/workload"
)

// BenchmarkRuntimeReady measures ork-runtime from process start to ready
// (every object applied) on a cluster holding none of the bundle's
// objects but its Namespaces and CRDs, for the demo bundle and for a
// workload of 500 services (1,000 objects), and the runtime's peak RSS.
// Run with the cluster tier: .ci/kube-bench.sh (make bench).
func BenchmarkRuntimeReady(b *testing.B) {
	dyn, bin := cluster(b)
	_ = dyn
	b.Run("demo", func(b *testing.B) {
		benchReady(b, bin, filepath.Join("..", "..", "bundles", "production.yaml"), "orkestra-system", "orkestra-katalog",
			"deployments,services,serviceaccounts,ingresses,poddisruptionbudgets,helloworlds")
	})
	b.Run("500-services", func(b *testing.B) {
		dir := b.TempDir()
		if err := workload.Write(dir, workload.Size{Services: 500, Environments: 1}); err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(dir, "bundle.yaml")
		out, err := exec.Command(filepath.Join(binDir, "ork"), "generate", "bundle", "-q", "-f", filepath.Join(dir, "komposer.yaml"), "-o", path).CombinedOutput()
		if err != nil {
			b.Fatalf("ork generate bundle: %v\n%s", err, out)
		}
		for _, ns := range []string{"apps", "bench"} {
			if _, err := get(b, dyn, nsGVR, "", ns); err != nil {
				kubectl(b, "create", "namespace", ns)
			}
		}
		benchReady(b, bin, path, "bench", "bench-katalog", "deployments,services")
	})
}

func benchReady(b *testing.B, bin, path, bundleNS, bundleName, kinds string) {
	id := inventory.ApplySetID(bundleName+"-applyset", bundleNS, schema.GroupKind{Kind: "ConfigMap"})
	// a first start creates the Namespaces and CRDs, which stay
	warm := start(b, bin, "--bundle", path, "--leader-elect=false")
	warm.waitLog(b, time.Minute, "ready")
	warm.stop(b)
	b.ResetTimer()
	var ready []float64
	var peak float64
	for range b.N {
		b.StopTimer()
		kubectl(b, "delete", kinds, "--all-namespaces", "-l", inventory.PartOfLabel+"="+id, "--wait=false", "--ignore-not-found")
		b.StartTimer()
		p := start(b, bin, "--bundle", path, "--leader-elect=false")
		m := p.waitLog(b, time.Minute, "ready")
		b.StopTimer()
		d, err := time.ParseDuration(fmt.Sprint(m["after"]))
		if err != nil {
			b.Fatal(err)
		}
		ready = append(ready, float64(d.Milliseconds()))
		peak = max(peak, peakRSS(b, p))
		if n := p.metric(b, "ork_runtime_objects_managed"); n <= 0 {
			b.Fatalf("ork_runtime_objects_managed %v", n)
		}
		p.stop(b)
		b.StartTimer()
	}
	b.ReportMetric(median(ready), "ms-to-ready")
	b.ReportMetric(peak, "peak-RSS-MiB")
}

// BenchmarkRuntimeDrift measures the time from the API server accepting a
// delete of an object the runtime holds to the object being back (the
// watch event of the new one), median over b.N deletes (-benchtime 15x),
// and the runtime's peak RSS.
func BenchmarkRuntimeDrift(b *testing.B) {
	dyn, bin := cluster(b)
	ns := "rt-bench-drift"
	path := writeBundle(b, b.TempDir(), "b.yaml", ns, namespace(ns), deployment(ns, "web", 1), service(ns, "web", 80))
	p := start(b, bin, "--bundle", path, "--leader-elect=false")
	p.waitLog(b, bound, "watching")
	ctx := context.Background()
	var took []float64
	b.ResetTimer()
	for range b.N {
		old := mustGet(b, dyn, deployGVR, ns, "web")
		w, err := dyn.Resource(deployGVR).Namespace(ns).Watch(ctx, metav1.ListOptions{
			FieldSelector: "metadata.name=web", ResourceVersion: old.GetResourceVersion()})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := dyn.Resource(deployGVR).Namespace(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
			b.Fatal(err)
		}
		deleted := time.Now()
		timeout := time.After(bound)
	wait:
		for {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					b.Fatal("watch closed")
				}
				if u, _ := ev.Object.(*unstructured.Unstructured); ev.Type == watch.Added && u != nil && u.GetUID() != old.GetUID() {
					break wait
				}
			case <-timeout:
				b.Fatalf("not re-created within %s", bound)
			}
		}
		w.Stop()
		_ = t0
		took = append(took, float64(time.Since(deleted).Microseconds())/1000)
	}
	b.StopTimer()
	sort.Float64s(took)
	b.ReportMetric(median(took), "ms-median-repair")
	b.ReportMetric(took[len(took)-1], "ms-max-repair")
	b.ReportMetric(peakRSS(b, p), "peak-RSS-MiB")
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// peakRSS reads the process's peak resident set size (VmHWM), in MiB.
func peakRSS(tb testing.TB, p *proc) float64 {
	tb.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb / 1024
		}
	}
	tb.Fatal("no VmHWM in /proc/PID/status")
	return 0
}
