package compose

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/manifest"
)

// Ephemeral asks for an environment that the Komposer does not declare,
// made for a feature branch from a declared one: its definition and pins,
// $ENV set to Name, not production, and every manifest renamed Name-<name>
// so it cannot collide with the objects of the environment it comes from.
type Ephemeral struct {
	Name string
	From string
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// ephemeralEnvironment checks an Ephemeral request and returns the
// environment it defines.
func ephemeralEnvironment(k *komposer.Komposer, e *Ephemeral, names []string) (komposer.Environment, error) {
	if e.Name == "" {
		return komposer.Environment{}, fmt.Errorf("--ephemeral-from %s needs one --env NAME: the environment to build", e.From)
	}
	if !dnsLabel.MatchString(e.Name) {
		return komposer.Environment{}, fmt.Errorf("ephemeral environment %q: the name must be a DNS label (lower-case letters, digits and '-', at most 63)", e.Name)
	}
	if _, declared := k.Environment(e.Name); declared {
		return komposer.Environment{}, fmt.Errorf("ephemeral environment %q: %s declares an environment of that name; choose another", e.Name, k.Display)
	}
	for _, n := range names {
		if n != e.Name {
			return komposer.Environment{}, fmt.Errorf("--ephemeral-from builds the one environment --env names (%q), not %q too", e.Name, n)
		}
	}
	from, ok := k.Environment(e.From)
	if !ok {
		return komposer.Environment{}, fmt.Errorf("%s: --ephemeral-from names unknown environment %q (known: %s)", k.Display, e.From, strings.Join(k.EnvironmentNames(), ", "))
	}
	env := *from
	env.Name, env.Production, env.After = e.Name, false, ""
	return env, nil
}

// pinEnvironment is the environment whose pins env uses: an ephemeral
// environment uses those of the one it is made from.
func (b *builder) pinEnvironment(env string) string {
	if e := b.opts.Ephemeral; e != nil && env == e.Name {
		return e.From
	}
	return env
}

// reference says where a manifest names another one of the Katalog.
type reference struct {
	path []string // map keys; "[]" enters every item of a list
	kind string   // the kind it names ("" when a sibling field kind says)
}

// podTemplate are the references of a pod template's spec.
var podTemplate = []reference{
	{[]string{"serviceAccountName"}, "ServiceAccount"},
	{[]string{"imagePullSecrets", "[]", "name"}, "Secret"},
	{[]string{"volumes", "[]", "configMap", "name"}, "ConfigMap"},
	{[]string{"volumes", "[]", "secret", "secretName"}, "Secret"},
	{[]string{"volumes", "[]", "persistentVolumeClaim", "claimName"}, "PersistentVolumeClaim"},
	{[]string{"volumes", "[]", "projected", "sources", "[]", "configMap", "name"}, "ConfigMap"},
	{[]string{"volumes", "[]", "projected", "sources", "[]", "secret", "name"}, "Secret"},
}

func init() {
	for _, c := range []string{"containers", "initContainers"} {
		podTemplate = append(podTemplate,
			reference{[]string{c, "[]", "env", "[]", "valueFrom", "configMapKeyRef", "name"}, "ConfigMap"},
			reference{[]string{c, "[]", "env", "[]", "valueFrom", "secretKeyRef", "name"}, "Secret"},
			reference{[]string{c, "[]", "envFrom", "[]", "configMapRef", "name"}, "ConfigMap"},
			reference{[]string{c, "[]", "envFrom", "[]", "secretRef", "name"}, "Secret"},
		)
	}
}

// references lists, per kind, the fields that name other manifests.
func references(kind string) []reference {
	under := func(prefix []string, refs []reference) []reference {
		out := make([]reference, len(refs))
		for i, r := range refs {
			out[i] = reference{append(slices.Clone(prefix), r.path...), r.kind}
		}
		return out
	}
	switch kind {
	case "Deployment", "DaemonSet", "ReplicaSet", "Job":
		return under([]string{"spec", "template", "spec"}, podTemplate)
	case "StatefulSet":
		return append(under([]string{"spec", "template", "spec"}, podTemplate), reference{[]string{"spec", "serviceName"}, "Service"})
	case "CronJob":
		return under([]string{"spec", "jobTemplate", "spec", "template", "spec"}, podTemplate)
	case "Ingress":
		return []reference{
			{[]string{"spec", "rules", "[]", "http", "paths", "[]", "backend", "service", "name"}, "Service"},
			{[]string{"spec", "defaultBackend", "service", "name"}, "Service"},
			{[]string{"spec", "tls", "[]", "secretName"}, "Secret"},
		}
	case "RoleBinding", "ClusterRoleBinding":
		return []reference{{[]string{"roleRef", "name"}, ""}, {[]string{"subjects", "[]", "name"}, ""}}
	case "HorizontalPodAutoscaler":
		return []reference{{[]string{"spec", "scaleTargetRef", "name"}, ""}}
	}
	return nil
}

// selectorLabels are the labels whose value, when it is the name of a
// renamed manifest, is renamed too wherever pods are labelled or selected,
// so the ephemeral environment's Services and budgets select only its own
// pods.
var selectorLabels = []string{"app", "name", "app.kubernetes.io/name", "app.kubernetes.io/instance"}

// labelFields are the label maps of a manifest that hold selectorLabels.
var labelFields = [][]string{
	{"metadata", "labels"},
	{"spec", "selector"}, // a Service's
	{"spec", "selector", "matchLabels"},
	{"spec", "template", "metadata", "labels"},
	{"spec", "jobTemplate", "spec", "template", "metadata", "labels"},
}

// renameEphemeral prefixes every manifest's name (CRDs, shared API
// contracts, keep theirs), moves manifests into renamed Namespaces, and
// rewrites the references and selector labels that named a renamed
// manifest, so the Katalog stays consistent.
func renameEphemeral(kat *Katalog, prefix string) {
	type key struct{ kind, namespace, name string }
	renamed := map[key]bool{}
	names := map[string]bool{} // every renamed name, for labels
	namespaces := map[string]bool{}
	for _, id := range kat.IDs {
		if id.Kind == "CustomResourceDefinition" {
			continue
		}
		renamed[key{id.Kind, id.Namespace, id.Name}] = true
		names[id.Name] = true
		if id.Kind == "Namespace" {
			namespaces[id.Name] = true
		}
	}
	// The namespace a reference from a manifest in ns resolves in.
	has := func(kind, ns, name string) bool {
		return renamed[key{kind, ns, name}] || renamed[key{kind, "", name}]
	}
	byID := map[manifest.ID]*entry{}
	ids := make([]manifest.ID, 0, len(kat.IDs))
	for _, id := range kat.IDs {
		e := kat.byID[id]
		obj := e.obj
		if id.Kind != "CustomResourceDefinition" {
			meta, _ := obj["metadata"].(map[string]any)
			meta["name"] = prefix + id.Name
			if namespaces[id.Namespace] {
				meta["namespace"] = prefix + id.Namespace
			}
			for _, r := range references(id.Kind) {
				rewrite(obj, r.path, func(parent map[string]any, v string) string {
					kind := r.kind
					if kind == "" {
						kind, _ = parent["kind"].(string)
					}
					ns := id.Namespace
					if n, ok := parent["namespace"].(string); ok {
						ns = n
						if namespaces[n] {
							parent["namespace"] = prefix + n
						}
					}
					if has(kind, ns, v) {
						return prefix + v
					}
					return v
				})
			}
			for _, f := range labelFields {
				labels, _ := lookup(obj, f).(map[string]any)
				for _, l := range selectorLabels {
					if v, ok := labels[l].(string); ok && names[v] {
						labels[l] = prefix + v
					}
				}
			}
			id.Name = prefix + id.Name
			if namespaces[id.Namespace] {
				id.Namespace = prefix + id.Namespace
			}
			e.id = id
		}
		byID[id] = e
		ids = append(ids, id)
	}
	kat.byID, kat.IDs = byID, ids
}

// lookup returns the value at path, through maps and lists (an index in
// decimal), or nil.
func lookup(v any, path []string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// rewrite replaces each string at path ("[]" enters every list item) with
// f(the map holding it, the string).
func rewrite(v any, path []string, f func(parent map[string]any, s string) string) {
	switch {
	case len(path) == 0:
		return
	case path[0] == "[]":
		l, _ := v.([]any)
		for _, item := range l {
			rewrite(item, path[1:], f)
		}
	case len(path) == 1:
		if m, ok := v.(map[string]any); ok {
			if s, ok := m[path[0]].(string); ok {
				m[path[0]] = f(m, s)
			}
		}
	default:
		if m, ok := v.(map[string]any); ok {
			rewrite(m[path[0]], path[1:], f)
		}
	}
}
