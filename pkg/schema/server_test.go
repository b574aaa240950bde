package schema

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// leftToServer lists the rules ork's schemas deliberately leave to the API
// server, each as the server's message (README, "Validation with CUE"). A
// manifest the server refuses and ork accepts must fail one of these.
var leftToServer = []struct {
	rule    string
	message *regexp.Regexp
}{
	{"a probe has exactly one handler", regexp.MustCompile(`must specify a handler type|may not specify more than 1 handler type`)},
	{"a volume has exactly one source", regexp.MustCompile(`must specify a volume type|may not specify more than 1 volume type`)},
	{"requests do not exceed limits", regexp.MustCompile(`must be less than or equal to .* limit`)},
	{"IP addresses and CIDRs", regexp.MustCompile(`must be a valid IP address|valid IP|must be a valid CIDR`)},
	{"a Service's clusterIP and type combinations", regexp.MustCompile(`clusterIP|may not be set when .type. is|externalName|ExternalName`)},
	{"nodePort ranges and allocation", regexp.MustCompile(`provided port is not in the valid range|nodePort`)},
	{"path and file names in volumes and mounts", regexp.MustCompile(`must not contain '\.\.'|must be a relative path|must not start with '\.\.'|must not be an absolute path`)},
	{"RBAC rule shapes", regexp.MustCompile(`resource rules must supply at least one api group|rules must apply|nonResourceURLs|apiGroup|verbs`)},
	{"CRD structural schemas and names", regexp.MustCompile(`openAPIV3Schema|must be a structural schema|listKind|singular|shortNames|spec\.names|served|storage`)},
	// ork leaves a CRD's openAPIV3Schema open (it is JSON Schema, any shape).
	{"the shape of a CRD's openAPIV3Schema", regexp.MustCompile(`Kind=CustomResourceDefinition: json: cannot unmarshal`)},
	{"resource names and quantities", regexp.MustCompile(`must be a standard resource|must be a standard resource type or fully qualified|quantities must match|must be greater than or equal to 0|Invalid value: "[^"]*": must be a qualified name|must be a valid resource name`)},
	{"environment variable sources", regexp.MustCompile(`valueFrom|fieldPath|must specify exactly one of`)},
	{"HPA metric sources and targets", regexp.MustCompile(`spec\.metrics|must populate|must specify a|target\.`)},
	{"host names and wildcards", regexp.MustCompile(`a lowercase RFC 1123 subdomain|a wildcard DNS-1123 subdomain|must be a DNS name, not an IP address|hostname`)},
	{"security contexts and sysctls", regexp.MustCompile(`securityContext|sysctl|capabilities|seccomp|appArmor|AppArmor`)},
	{"scheduling: tolerations, affinity, topology spread", regexp.MustCompile(`toleration|affinity|topologySpreadConstraints|effect must be|operator must be`)},
	{"rolling-update arithmetic", regexp.MustCompile(`maxUnavailable|maxSurge|may not be 0 when`)},
}

// TestServerAgrees is the differential test of the schemas against a real
// kube-apiserver (the cluster tier: ORK_KUBE_TEST=1 with a cluster from
// .ci/kube-up.sh). A corpus of manifests, valid ones and single-field and
// cross-field mutations of them, is checked by ork and sent to the server
// with kubectl apply --server-side --dry-run=server --validate=strict. Every
// manifest the server refuses, ork must refuse too, unless the server's
// reason is one leftToServer names. The agreement figures are logged.
func TestServerAgrees(t *testing.T) {
	if os.Getenv("ORK_KUBE_TEST") != "1" {
		t.Skip("the cluster tier runs with ORK_KUBE_TEST=1 and a cluster from .ci/kube-up.sh (make test-integration)")
	}
	if os.Getenv("KUBECONFIG") == "" {
		t.Fatal("ORK_KUBE_TEST=1 needs KUBECONFIG: eval \"$(.ci/kube-up.sh)\"")
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("ORK_KUBE_TEST=1 needs kubectl on PATH: %v", err)
	}
	c, err := compile()
	if err != nil {
		t.Fatal(err)
	}
	corpus := serverCorpus(t, c)
	if len(corpus) < 100 {
		t.Fatalf("corpus of %d manifests; at least 100 are needed", len(corpus))
	}
	// The namespaces the corpus uses exist, so that the server judges the
	// manifests rather than their namespace.
	namespaces := map[string]bool{}
	for _, m := range corpus {
		if meta, ok := m["metadata"].(map[string]any); ok {
			if ns, ok := meta["namespace"].(string); ok {
				namespaces[ns] = true
			}
		}
	}
	for _, ns := range slices.Sorted(maps.Keys(namespaces)) {
		out, err := exec.Command(kubectl, "create", "namespace", ns).CombinedOutput()
		if err != nil && !bytes.Contains(out, []byte("AlreadyExists")) {
			t.Fatalf("kubectl create namespace %s: %v\n%s", ns, err, out)
		}
	}
	v := New()
	dir := t.TempDir()
	var both, neither, orkOnly, serverOnly, leftOver int
	reasons := map[string]int{}
	for i, m := range corpus {
		results, err := v.Complete([]map[string]any{deepCopy(m).(map[string]any)})
		if err != nil {
			t.Fatal(err)
		}
		orkRejects := len(results[0].Violations) > 0
		data, err := yaml.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, fmt.Sprintf("m%03d.yaml", i))
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// --force-conflicts: the question is whether the server accepts the
		// object, not who owns its fields (other tests of the tier may have
		// applied the same objects with another field manager).
		cmd := exec.Command(kubectl, "apply", "--server-side", "--dry-run=server", "--validate=strict", "--force-conflicts", "--field-manager=ork-test", "-f", file)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		serverRejects := cmd.Run() != nil
		msg := strings.TrimSpace(stderr.String())
		switch {
		case orkRejects && serverRejects:
			both++
		case !orkRejects && !serverRejects:
			neither++
		case orkRejects:
			orkOnly++
			if testing.Verbose() {
				t.Logf("ork alone refuses %s:\n%s\n%v", file, data, results[0].Violations)
			}
		default:
			serverOnly++
			rule := ""
			for _, l := range leftToServer {
				if l.message.MatchString(msg) {
					rule = l.rule
					break
				}
			}
			if rule == "" {
				t.Errorf("the server refuses what ork accepts, for a reason ork's schemas cover:\n%s\n%s", data, msg)
				continue
			}
			leftOver++
			reasons[rule]++
			if testing.Verbose() {
				t.Logf("the server alone refuses %s (%s):\n%s", file, rule, msg)
			}
		}
	}
	t.Logf("%d manifests: %d accepted by both, %d refused by both, %d refused by ork alone, %d refused by the server alone (%d of them for rules left to the server)",
		len(corpus), neither, both, orkOnly, serverOnly, leftOver)
	for _, r := range slices.Sorted(maps.Keys(reasons)) {
		t.Logf("left to the server: %s: %d", r, reasons[r])
	}
}

// serverCorpus is the manifests of testdata/manifests and a deterministic
// sample of their mutations: every base manifest, the first mutations that
// break each cross-field rule, and about one in sixty of the rest.
// Mutations of apiVersion, kind and metadata.namespace are left out.
func serverCorpus(t *testing.T, c *compiled) []map[string]any {
	t.Helper()
	var bases []map[string]any
	for _, m := range corpus(t) {
		apiVersion := m["apiVersion"].(string)
		if strings.Contains(apiVersion, "orcra.io") || strings.HasPrefix(apiVersion, "orkestra.") {
			// The demo's custom resources (the cluster has no CRDs for
			// them) and Orkestra's Katalog, which is read from the
			// bundle's ConfigMap and never applied.
			continue
		}
		if _, known := c.kinds[[2]string{apiVersion, m["kind"].(string)}]; known {
			bases = append(bases, m)
		}
	}
	var out []map[string]any
	perRule := map[string]int{}
	for _, base := range bases {
		out = append(out, base)
		key := [2]string{base["apiVersion"].(string), base["kind"].(string)}
		for i, m := range variants(base) {
			if !sameIdentity(m, base) {
				continue
			}
			keep := sampled(fmt.Sprint(key, i))
			if !keep {
				r := c.completeWithCUE(c.kinds[key], deepCopy(m).(map[string]any))
				for _, v := range r.Violations {
					if v.Rule != "" && perRule[v.Rule] < 2 {
						perRule[v.Rule]++
						keep = true
					}
				}
			}
			if keep {
				out = append(out, m)
			}
		}
	}
	return out
}

// sameIdentity reports whether two manifests have the same apiVersion,
// kind and namespace: a mutation of these makes a manifest of another kind
// (which ork checks with that kind's schema, if it has one) or tests the
// namespace, not the manifest.
func sameIdentity(a, b map[string]any) bool {
	ma, _ := a["metadata"].(map[string]any)
	mb, _ := b["metadata"].(map[string]any)
	return a["apiVersion"] == b["apiVersion"] && a["kind"] == b["kind"] && ma != nil && mb != nil && ma["namespace"] == mb["namespace"]
}

// sampled keeps about one key in sixty, the same ones on every run.
func sampled(key string) bool {
	h := fnv.New32a()
	h.Write([]byte(key))
	return h.Sum32()%60 == 0
}
