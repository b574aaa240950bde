package runtime_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/orkdev/ork/pkg/runtime"
	"github.com/orkdev/ork/pkg/runtime/inventory"
)

const bound = 20 * time.Second // every wait on the cluster is bounded by this

// TestClusterDemo: the demo bundle's first apply: CRDs established, the
// custom resource and every other object created, the Katalog left to
// Orkestra, the ApplySet parent written, health, readiness and metrics.
func TestClusterDemo(t *testing.T) {
	dyn, bin := cluster(t)
	demo := filepath.Join("..", "..", "bundles", "production.yaml")
	p := start(t, bin, "--bundle", demo, "--lease-name", "rt-demo")
	p.waitLog(t, bound, "ready")

	for _, name := range []string{"helloworlds.apps.orcra.io"} {
		crd := mustGet(t, dyn, crdGVR, "", name)
		if !strings.Contains(field(crd, "status", "conditions"), "type:Established") {
			t.Errorf("CRD %s not established: %s", name, field(crd, "status", "conditions"))
		}
	}
	for _, ns := range []string{"apps", "identity", "orkestra-system"} {
		mustGet(t, dyn, nsGVR, "", ns)
	}
	hw := mustGet(t, dyn, hwGVR, "apps", "hello-world")
	if m := field(hw, "spec", "message"); m != "Hello from production" {
		t.Errorf("HelloWorld apps/hello-world: spec.message %q, want production's", m)
	}
	d := mustGet(t, dyn, deployGVR, "identity", "keycloak")
	if field(d, "spec", "replicas") != "3" {
		t.Errorf("Deployment identity/keycloak: spec.replicas %s, want 3", field(d, "spec", "replicas"))
	}
	if !managedBy(d, runtime.FieldManager) {
		t.Errorf("Deployment identity/keycloak: not applied by %s", runtime.FieldManager)
	}
	parent := mustGet(t, dyn, cmGVR, "orkestra-system", "orkestra-katalog-applyset")
	ann := parent.GetAnnotations()
	wantKinds := "CustomResourceDefinition.apiextensions.k8s.io,Deployment.apps,HelloWorld.apps.orcra.io,Ingress.networking.k8s.io,Namespace,PodDisruptionBudget.policy,Service,ServiceAccount"
	if ann[inventory.GroupKindsAnnotation] != wantKinds || ann[inventory.NamespacesAnnotation] != "apps,identity" ||
		ann[inventory.DigestAnnotation] != digestOf(t, demo) {
		t.Errorf("applyset parent annotations: %v", ann)
	}
	if id := parent.GetLabels()[inventory.IDLabel]; d.GetLabels()[inventory.PartOfLabel] != id || id == "" {
		t.Errorf("member label %q, parent id %q", d.GetLabels()[inventory.PartOfLabel], id)
	}

	if code, body := p.get(t, "/healthz"); code != 200 {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := p.get(t, "/readyz"); code != 200 {
		t.Errorf("/readyz: %d %s", code, body)
	}
	if v := p.metric(t, "ork_runtime_objects_managed"); v != 10 {
		t.Errorf("ork_runtime_objects_managed %v, want 10", v)
	}
	info := fmt.Sprintf(`ork_runtime_bundle_info{digest="%s",environment="production"}`, digestOf(t, demo))
	if v := p.metric(t, info); v != 1 {
		t.Errorf("%s = %v, want 1", info, v)
	}
	if p.find("bundle loaded", "environment", "production", "digest", digestOf(t, demo), "skipped_katalogs", "1") == nil ||
		p.find("pin", "name", "base", "type", "path") == nil {
		t.Errorf("environment, digest and pins not logged")
	}
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	lease := mustGet(t, dyn, leaseGVR, "default", "rt-demo")
	if h := field(lease, "spec", "holderIdentity"); h != "" {
		t.Errorf("lease still held by %q after a graceful stop", h)
	}
}

func managedBy(u interface {
	GetManagedFields() []metav1.ManagedFieldsEntry
}, manager string) bool {
	for _, m := range u.GetManagedFields() {
		if m.Manager == manager && m.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}

// TestClusterDrift: a deleted object is re-created, an owned field someone
// changed is set back, and a field another manager set is left alone.
func TestClusterDrift(t *testing.T) {
	dyn, bin := cluster(t)
	ns := "rt-drift"
	path := writeBundle(t, t.TempDir(), "b.yaml", ns,
		namespace(ns), deployment(ns, "web", 2), service(ns, "web", 80), configMap(ns, "settings", "v1"))
	p := start(t, bin, "--bundle", path, "--lease-name", "rt-drift")
	p.waitLog(t, bound, "watching")

	// kubectl delete: re-created
	uid := mustGet(t, dyn, deployGVR, ns, "web").GetUID()
	kubectl(t, "delete", "deployment", "web", "-n", ns, "--wait=false")
	eventually(t, bound, "deleted Deployment re-created", func() error {
		u, err := get(t, dyn, deployGVR, ns, "web")
		if err != nil {
			return err
		}
		if u.GetUID() == uid {
			return fmt.Errorf("still the old object")
		}
		return nil
	})

	// a field set by another manager, which the bundle does not set
	kubectl(t, "annotate", "deployment", "web", "-n", ns, "team.example.com/owner=payments")
	kubectl(t, "patch", "deployment", "web", "-n", ns, "--type", "merge", "-p", `{"spec":{"minReadySeconds":7}}`)

	// kubectl scale and an edit of owned fields: set back
	kubectl(t, "scale", "deployment", "web", "-n", ns, "--replicas", "5")
	kubectl(t, "patch", "configmap", "settings", "-n", ns, "--type", "merge", "-p", `{"data":{"value":"edited"}}`)
	eventually(t, bound, "scaled Deployment set back to 2 replicas", func() error {
		if r := field(mustGet(t, dyn, deployGVR, ns, "web"), "spec", "replicas"); r != "2" {
			return fmt.Errorf("spec.replicas %s", r)
		}
		return nil
	})
	eventually(t, bound, "edited ConfigMap set back", func() error {
		if v := field(mustGet(t, dyn, cmGVR, ns, "settings"), "data", "value"); v != "v1" {
			return fmt.Errorf("data.value %q", v)
		}
		return nil
	})
	d := mustGet(t, dyn, deployGVR, ns, "web")
	if d.GetAnnotations()["team.example.com/owner"] != "payments" || field(d, "spec", "minReadySeconds") != "7" {
		t.Errorf("fields of another manager changed: annotations %v, minReadySeconds %q", d.GetAnnotations(), field(d, "spec", "minReadySeconds"))
	}
	// the part-of label removed: the object leaves the set, and is put back
	kubectl(t, "label", "service", "web", "-n", ns, inventory.PartOfLabel+"-")
	eventually(t, bound, "part-of label restored", func() error {
		if mustGet(t, dyn, svcGVR, ns, "web").GetLabels()[inventory.PartOfLabel] == "" {
			return fmt.Errorf("no label")
		}
		return nil
	})
	if v := p.metric(t, `ork_runtime_drift_corrections_total{kind="Deployment.apps"}`); v < 2 {
		t.Errorf("Deployment drift corrections %v, want ≥ 2", v)
	}
	if v := p.metric(t, `ork_runtime_drift_corrections_total{kind="ConfigMap"}`); v < 1 {
		t.Errorf("ConfigMap drift corrections %v, want ≥ 1", v)
	}
	p.waitLog(t, bound, "drift corrected", "object", "Deployment.apps rt-drift/web", "recreated", "true")
	eventually(t, bound, "DriftCorrected event", func() error {
		return hasEvent(dyn, ns, "katalog-applyset", "DriftCorrected", "Deployment.apps rt-drift/web")
	})
}

// hasEvent looks for an Event on the ConfigMap ns/name.
func hasEvent(dyn dynamic.Interface, ns, name, reason, message string) error {
	list, err := dyn.Resource(eventGVR).Namespace(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return err
	}
	var seen []string
	for _, e := range list.Items {
		obj := field(&e, "involvedObject", "name")
		r, m := field(&e, "reason"), field(&e, "message")
		seen = append(seen, obj+" "+r+": "+m)
		if obj == name && r == reason && strings.Contains(m, message) {
			return nil
		}
	}
	return fmt.Errorf("no %s event %q on %s/%s; events: %q", reason, message, ns, name, seen)
}

// TestClusterConfigMapChangedWhileRunning: the runtime reads its ConfigMap
// once; a new bundle applied while it runs changes nothing until restart,
// and the runtime still holds the cluster to the old one.
func TestClusterConfigMapChangedWhileRunning(t *testing.T) {
	dyn, bin := cluster(t)
	ns := "rt-cm"
	dir := t.TempDir()
	a := writeBundle(t, dir, "a.yaml", ns, namespace(ns), deployment(ns, "web", 1), katalog(ns))
	b := writeBundle(t, dir, "b.yaml", ns, namespace(ns), deployment(ns, "web", 4), service(ns, "added", 80), katalog(ns))
	if _, err := get(t, dyn, nsGVR, "", ns); err != nil {
		kubectl(t, "create", "namespace", ns)
	}
	kubectl(t, "apply", "--server-side", "-f", a)
	p := start(t, bin, "--configmap", ns+"/katalog", "--lease-name", "rt-cm")
	p.waitLog(t, bound, "watching")
	if p.find("bundle loaded", "source", "configmap "+ns+"/katalog", "digest", digestOf(t, a)) == nil {
		t.Fatalf("bundle A not loaded from the ConfigMap")
	}

	kubectl(t, "apply", "--server-side", "-f", b) // the next bundle, before its restart
	kubectl(t, "delete", "deployment", "web", "-n", ns, "--wait=false")
	eventually(t, bound, "Deployment re-created from the bundle read at start", func() error {
		u, err := get(t, dyn, deployGVR, ns, "web")
		if err != nil {
			return err
		}
		if r := field(u, "spec", "replicas"); r != "1" {
			return fmt.Errorf("spec.replicas %s, want bundle A's 1", r)
		}
		return nil
	})
	if !gone(t, dyn, svcGVR, ns, "added") {
		t.Errorf("Service %s/added of bundle B exists before the restart", ns)
	}
	if n := p.count("bundle loaded"); n != 1 {
		t.Errorf("bundle loaded %d times, want once", n)
	}
	eventually(t, bound, "Applied event on the bundle's ConfigMap", func() error {
		return hasEvent(dyn, ns, "katalog", "Applied", "bundle "+digestOf(t, a)+" (environment test) is live")
	})
	p.stop(t)

	// rollout restart: the new bundle
	p2 := start(t, bin, "--configmap", ns+"/katalog", "--lease-name", "rt-cm")
	p2.waitLog(t, bound, "ready")
	if r := field(mustGet(t, dyn, deployGVR, ns, "web"), "spec", "replicas"); r != "4" {
		t.Errorf("after restart: spec.replicas %s, want bundle B's 4", r)
	}
	mustGet(t, dyn, svcGVR, ns, "added")
}

// TestClusterRestartPrunes: a bundle file changed while the runtime runs
// changes nothing; restarted, the runtime applies the new bundle and
// prunes what the old one had and the new one lacks, and nothing else;
// --prune=false keeps them.
func TestClusterRestartPrunes(t *testing.T) {
	dyn, bin := cluster(t)
	ns, extra := "rt-prune", "rt-prune-extra"
	dir := t.TempDir()
	path := filepath.Join(dir, "bundle.yaml")
	writeBundle(t, dir, "bundle.yaml", ns, namespace(ns), namespace(extra),
		service(ns, "keep", 80), service(ns, "old", 80), deployment(ns, "old", 1), configMap(extra, "old", "x"))
	p := start(t, bin, "--bundle", path, "--lease-name", "rt-prune")
	p.waitLog(t, bound, "watching")
	keepUID := mustGet(t, dyn, svcGVR, ns, "keep").GetUID()
	// objects the runtime did not apply: one of a kind it manages, one of
	// another ApplySet
	kubectl(t, "create", "service", "clusterip", "bystander", "-n", ns, "--tcp", "80:80")
	kubectl(t, "create", "configmap", "foreign", "-n", extra, "--from-literal", "a=b")
	kubectl(t, "label", "configmap", "foreign", "-n", extra, inventory.PartOfLabel+"=applyset-someone-else-v1")

	// the file changes while running: nothing happens
	writeBundle(t, dir, "bundle.yaml", ns, namespace(ns), namespace(extra),
		service(ns, "keep", 80), service(ns, "new", 80))
	kubectl(t, "delete", "service", "old", "-n", ns, "--wait=false")
	eventually(t, bound, "Service old re-created from the bundle read at start", func() error {
		_, err := get(t, dyn, svcGVR, ns, "old")
		return err
	})
	if !gone(t, dyn, svcGVR, ns, "new") {
		t.Errorf("Service new applied before the restart")
	}
	p.stop(t)

	p2 := start(t, bin, "--bundle", path, "--lease-name", "rt-prune")
	p2.waitLog(t, bound, "ready")
	mustGet(t, dyn, svcGVR, ns, "new")
	if u := mustGet(t, dyn, svcGVR, ns, "keep"); u.GetUID() != keepUID {
		t.Errorf("Service keep was re-created; it should have been kept")
	}
	if !gone(t, dyn, svcGVR, ns, "old") || !gone(t, dyn, deployGVR, ns, "old") || !gone(t, dyn, cmGVR, extra, "old") {
		t.Errorf("objects of the old bundle not pruned")
	}
	mustGet(t, dyn, svcGVR, ns, "bystander")
	mustGet(t, dyn, cmGVR, extra, "foreign")
	for _, n := range []string{ns, extra} {
		if gone(t, dyn, nsGVR, "", n) {
			t.Errorf("Namespace %s deleted", n)
		}
	}
	parent := mustGet(t, dyn, cmGVR, ns, "katalog-applyset")
	if k := parent.GetAnnotations()[inventory.GroupKindsAnnotation]; k != "Namespace,Service" {
		t.Errorf("parent group-kinds after prune: %q, want Namespace,Service", k)
	}
	if v := p2.metric(t, `ork_runtime_pruned_total{kind="Deployment.apps"}`); v != 1 {
		t.Errorf(`ork_runtime_pruned_total{kind="Deployment.apps"} = %v, want 1`, v)
	}
	p2.stop(t)

	// --prune=false: Service new stays, and the parent still lists it
	writeBundle(t, dir, "bundle.yaml", ns, namespace(ns), namespace(extra), service(ns, "keep", 80))
	p3 := start(t, bin, "--bundle", path, "--lease-name", "rt-prune", "--prune=false")
	p3.waitLog(t, bound, "ready")
	if gone(t, dyn, svcGVR, ns, "new") {
		t.Errorf("--prune=false deleted Service new")
	}
	p3.stop(t)
}

// TestClusterTampered: a tampered bundle, from a file or a ConfigMap, is
// an error at start: exit 3, a log line, nothing applied.
func TestClusterTampered(t *testing.T) {
	dyn, bin := cluster(t)
	ns := "rt-tampered"
	dir := t.TempDir()
	path := writeBundle(t, dir, "b.yaml", ns, namespace(ns), service(ns, "s", 80))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), "port: 80", "port: 81", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, bin, "--bundle", path, "--lease-name", "rt-tampered")
	if code := p.wait(t, bound); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
	m := p.waitLog(t, time.Second, "ork-runtime stopped")
	if e := fmt.Sprint(m["err"]); !strings.Contains(e, "b.yaml: bundle was altered after it was generated") {
		t.Errorf("error logged: %s", e)
	}
	if !gone(t, dyn, nsGVR, "", ns) {
		t.Errorf("Namespace %s applied from a tampered bundle", ns)
	}

	// the same through the API: the ConfigMap's data edited
	cmNS := "rt-tampered-cm"
	ok := writeBundle(t, dir, "ok.yaml", cmNS, service(cmNS, "s", 80))
	if _, err := get(t, dyn, nsGVR, "", cmNS); err != nil {
		kubectl(t, "create", "namespace", cmNS)
	}
	kubectl(t, "apply", "--server-side", "-f", ok)
	kubectl(t, "patch", "configmap", "katalog", "-n", cmNS, "--type", "json", "-p",
		`[{"op":"replace","path":"/data/katalog.yaml","value":"apiVersion: v1\nkind: Service\nmetadata:\n  name: evil\n  namespace: rt-tampered-cm\n"}]`)
	p2 := start(t, bin, "--configmap", cmNS+"/katalog", "--lease-name", "rt-tampered")
	if code := p2.wait(t, bound); code != 3 {
		t.Errorf("configmap: exit code %d, want 3", code)
	}
	if !gone(t, dyn, svcGVR, cmNS, "s") || !gone(t, dyn, svcGVR, cmNS, "evil") {
		t.Errorf("objects applied from a tampered ConfigMap")
	}
}

// TestClusterLeaderElection: of two replicas one leads and the other
// stands by, not ready; when the leader stops, the other takes over.
func TestClusterLeaderElection(t *testing.T) {
	dyn, bin := cluster(t)
	ns := "rt-leader"
	path := writeBundle(t, t.TempDir(), "b.yaml", ns, namespace(ns), service(ns, "s", 80))
	one := start(t, bin, "--bundle", path, "--lease-name", "rt-leader", "--id", "one")
	one.waitLog(t, bound, "ready")
	two := start(t, bin, "--bundle", path, "--lease-name", "rt-leader", "--id", "two")
	two.waitLog(t, bound, "standing by", "leader", "one")
	if code, _ := two.get(t, "/readyz"); code != 503 {
		t.Errorf("standby /readyz %d, want 503", code)
	}
	if v := two.metric(t, "ork_runtime_leader"); v != 0 {
		t.Errorf("standby ork_runtime_leader %v", v)
	}
	if h := field(mustGet(t, dyn, leaseGVR, "default", "rt-leader"), "spec", "holderIdentity"); h != "one" {
		t.Errorf("lease held by %q, want one", h)
	}
	time.Sleep(2 * time.Second) // several retry periods: two must not take over
	if two.find("leading") != nil {
		t.Fatalf("both replicas lead")
	}
	if code := one.stop(t); code != 0 {
		t.Errorf("leader exit code %d", code)
	}
	two.waitLog(t, bound, "ready")
	if h := field(mustGet(t, dyn, leaseGVR, "default", "rt-leader"), "spec", "holderIdentity"); h != "two" {
		t.Errorf("lease held by %q, want two", h)
	}
}

// TestClusterRejected: an object the API server rejects is logged, counted
// and reported in an Event; the rest is applied; the runtime is not ready.
func TestClusterRejected(t *testing.T) {
	dyn, bin := cluster(t)
	ns := "rt-rejected"
	path := writeBundle(t, t.TempDir(), "b.yaml", ns, namespace(ns),
		service(ns, "bad", 70000), service(ns, "good", 80), deployment(ns, "web", 1))
	p := start(t, bin, "--bundle", path, "--lease-name", "rt-rejected")
	p.waitLog(t, bound, "watching")
	m := p.waitLog(t, bound, "apply failed", "object", "Service rt-rejected/bad")
	if e := fmt.Sprint(m["err"]); !strings.Contains(e, "spec.ports[0].port") {
		t.Errorf("error logged: %s", e)
	}
	mustGet(t, dyn, svcGVR, ns, "good")
	mustGet(t, dyn, deployGVR, ns, "web")
	if !gone(t, dyn, svcGVR, ns, "bad") {
		t.Errorf("Service bad exists")
	}
	if v := p.metric(t, `ork_runtime_apply_errors_total{kind="Service"}`); v < 1 {
		t.Errorf(`ork_runtime_apply_errors_total{kind="Service"} = %v`, v)
	}
	if v := p.metric(t, "ork_runtime_objects_managed"); v != 3 {
		t.Errorf("ork_runtime_objects_managed %v, want 3", v)
	}
	eventually(t, bound, "ApplyFailed event", func() error {
		return hasEvent(dyn, ns, "katalog-applyset", "ApplyFailed", "Service rt-rejected/bad")
	})
	if code, _ := p.get(t, "/readyz"); code != 503 {
		t.Errorf("/readyz %d with an object rejected, want 503", code)
	}
}
