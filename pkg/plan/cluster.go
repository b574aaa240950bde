package plan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/orkdev/ork/pkg/bundle"
)

// ClusterOptions say where to read the live bundle.
type ClusterOptions struct {
	Name, Namespace string // the bundle's ConfigMap
	Kubectl         string // the kubectl command; default "kubectl" on PATH
}

// ReadCluster reads the live bundle through kubectl, with the user's
// kubeconfig and context: the ConfigMap, whose data must still hash to its
// ork.dev/digest, and the CustomResourceDefinitions its lock lists, as the
// API server holds them (without the fields the server sets: status,
// metadata it owns, the default conversion strategy). A CRD the lock lists
// that the cluster lacks is left out, with a note, so the plan adds it.
func ReadCluster(ctx context.Context, opts ClusterOptions) (*Reference, error) {
	kubectl := opts.Kubectl
	if kubectl == "" {
		kubectl = "kubectl"
	}
	if _, err := exec.LookPath(kubectl); err != nil {
		return nil, fmt.Errorf("--against cluster reads the live bundle with kubectl: %w", err)
	}
	name := "cluster"
	if out, err := run(ctx, kubectl, "config", "current-context"); err == nil {
		if c := strings.TrimSpace(string(out)); c != "" {
			name = fmt.Sprintf("cluster (context %s)", c)
		}
	}
	out, err := run(ctx, kubectl, "get", "configmap", opts.Name, "--namespace", opts.Namespace, "--output", "yaml")
	if err != nil {
		if strings.Contains(err.Error(), "NotFound") {
			return nil, fmt.Errorf("--against %s: configmap %s/%s not found: this environment's bundle has not been applied there (apply it with kubectl apply -f, or plan against its file)",
				name, opts.Namespace, opts.Name)
		}
		return nil, fmt.Errorf("--against %s: %w", name, err)
	}
	b, err := liveConfigMap(out, name)
	if err != nil {
		return nil, err
	}
	ref := &Reference{Name: name, Bundle: b}
	lock, err := b.Lock()
	if err != nil {
		return nil, fmt.Errorf("%s: the live ConfigMap's %w", name, err)
	}
	if len(lock.CRDs) == 0 {
		return ref, nil
	}
	args := []string{"get", "customresourcedefinitions.apiextensions.k8s.io"}
	for _, c := range lock.CRDs {
		args = append(args, c.Name)
	}
	out, err = run(ctx, kubectl, append(args, "--ignore-not-found", "--output", "yaml")...)
	if err != nil {
		return nil, fmt.Errorf("--against %s: reading the CRDs: %w", name, err)
	}
	crds, err := liveCRDs(out)
	if err != nil {
		return nil, fmt.Errorf("--against %s: reading the CRDs: %w", name, err)
	}
	for _, c := range lock.CRDs {
		crd, ok := crds[c.Name]
		if !ok {
			ref.Notes = append(ref.Notes, fmt.Sprintf("CRD %s, which the live bundle lists, is not in the cluster", c.Name))
			continue
		}
		b.CRDs = append(b.CRDs, []byte(encodeYAML(crd)))
	}
	return ref, nil
}

// liveConfigMap turns the live ConfigMap, as kubectl prints it, into a
// bundle (without its CRDs), after checking that its data still hashes to
// its digest.
func liveConfigMap(out []byte, name string) (*bundle.Bundle, error) {
	b, err := bundle.FromConfigMap(out)
	if err != nil {
		return nil, fmt.Errorf("%s: the live ConfigMap: %w", name, err)
	}
	if got := bundle.Digest(b.Data); got != b.Digest {
		return nil, fmt.Errorf("%s: configmap %s/%s: %w: its data hashes to %s, the annotation says %q (edited in the cluster?); a plan against it would mislead",
			name, b.Namespace, b.Name, bundle.ErrTampered, got, b.Digest)
	}
	return b, nil
}

// liveCRDs decodes kubectl's output of one CRD or a List of them, keyed by
// name, without the fields the API server sets.
func liveCRDs(out []byte) (map[string]map[string]any, error) {
	crds := map[string]map[string]any{}
	if len(bytes.TrimSpace(out)) == 0 {
		return crds, nil
	}
	var obj map[string]any
	if err := yaml.Unmarshal(out, &obj); err != nil {
		return nil, err
	}
	items := []any{obj}
	if obj["kind"] == "List" {
		items, _ = obj["items"].([]any)
	}
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok || m["kind"] != "CustomResourceDefinition" {
			return nil, errors.New("kubectl printed something other than CustomResourceDefinitions")
		}
		m = normalizeLive(m)
		crds[str(dig(m, "metadata", "name"))] = m
	}
	return crds, nil
}

// serverMetadata are the metadata fields the API server owns.
var serverMetadata = []string{"creationTimestamp", "generation", "managedFields", "resourceVersion", "selfLink", "uid", "deletionTimestamp", "deletionGracePeriodSeconds"}

// normalizeLive drops from a live object what the API server adds to what
// was applied: status, the metadata it owns, kubectl's last-applied
// annotation, and a CRD's default conversion strategy.
func normalizeLive(m map[string]any) map[string]any {
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok {
		for _, k := range serverMetadata {
			delete(meta, k)
		}
		if ann, ok := meta["annotations"].(map[string]any); ok {
			delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
			if len(ann) == 0 {
				delete(meta, "annotations")
			}
		}
		if labels, ok := meta["labels"].(map[string]any); ok && len(labels) == 0 {
			delete(meta, "labels")
		}
	}
	if spec, ok := m["spec"].(map[string]any); ok {
		if conv, ok := spec["conversion"].(map[string]any); ok && len(conv) == 1 && conv["strategy"] == "None" {
			delete(spec, "conversion")
		}
	}
	return m
}

// run runs a command and returns its standard output; its standard error
// is the error's message.
func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// kubectl's last line says what went wrong; the lines before it
		// are retries and klog noise.
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
				msg = msg[i+1:]
			}
			return nil, fmt.Errorf("%s %s: %s", name, strings.Join(args[:min(2, len(args))], " "), msg)
		}
		return nil, fmt.Errorf("%s %s: %w", name, strings.Join(args[:min(2, len(args))], " "), err)
	}
	return stdout.Bytes(), nil
}
