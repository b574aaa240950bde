package runtime_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestClusterScaffold runs the loop a user of `ork init` follows, with the
// runtime holding only the scaffold's RBAC: deploy/ork-runtime.yaml
// applied, the bundle generated and applied, and ork-runtime started with
// the Deployment's own arguments and a token of its ServiceAccount. Every
// object comes up, nothing is forbidden: the RBAC is enough.
func TestClusterScaffold(t *testing.T) {
	dyn, bin := cluster(t)
	dir := filepath.Join(t.TempDir(), "platform")
	ork := filepath.Join(binDir, "ork")
	for _, args := range [][]string{{"init", "-q", dir}, {"generate", "bundle", "-q", "-f", filepath.Join(dir, "komposer.yaml")}} {
		if out, err := exec.Command(ork, args...).CombinedOutput(); err != nil {
			t.Fatalf("ork %v: %v\n%s", args, err, out)
		}
	}
	deploy := filepath.Join(dir, "deploy", "ork-runtime.yaml")
	kubectl(t, "apply", "--server-side", "-f", deploy)
	kubectl(t, "apply", "--server-side", "-f", filepath.Join(dir, "bundles", "production.yaml"))

	// the Deployment's arguments, as the pod would run them
	var args []string
	data, err := os.ReadFile(deploy)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for {
		var doc struct {
			Kind string
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct{ Args []string }
					}
				}
			}
		}
		if dec.Decode(&doc) != nil {
			break
		}
		if doc.Kind == "Deployment" {
			args = doc.Spec.Template.Spec.Containers[0].Args
		}
	}
	if len(args) == 0 {
		t.Fatal("no Deployment args in deploy/ork-runtime.yaml")
	}

	// a kubeconfig with the ServiceAccount's token: what in-cluster gives
	token := strings.TrimSpace(kubectl(t, "create", "token", "ork-runtime", "-n", "platform-system", "--duration", "1h"))
	server := kubectl(t, "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	config := "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: '" + server + "', insecure-skip-tls-verify: true}}]\n" +
		"users: [{name: sa, user: {token: '" + token + "'}}]\ncontexts: [{name: sa, context: {cluster: c, user: sa}}]\ncurrent-context: sa\n"
	if err := os.WriteFile(kc, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, bin, append(args, "--kubeconfig", kc, "--lease-namespace", "platform-system", "--id", "scaffold")...)
	p.waitLog(t, bound, "ready")
	p.waitLog(t, bound, "watching")
	if r := field(mustGet(t, dyn, deployGVR, "apps", "app"), "spec", "replicas"); r != "3" {
		t.Errorf("Deployment apps/app: spec.replicas %s, want production's 3", r)
	}
	mustGet(t, dyn, svcGVR, "apps", "app")
	if d := field(mustGet(t, dyn, cmGVR, "apps", "app-settings"), "data", "domain"); d != "app.example.com" {
		t.Errorf("ConfigMap apps/app-settings: data.domain %q", d)
	}
	if log := p.log(); strings.Contains(log, "forbidden") {
		t.Errorf("the scaffold's RBAC is not enough:\n%s", log)
	}
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}
