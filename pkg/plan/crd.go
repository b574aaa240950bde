package plan

import (
	"fmt"
	"sort"
)

// breakingCRD lists what a change of a CustomResourceDefinition breaks for
// the clients of its resources: a served version removed or no longer
// served, a field removed from a served version's openAPIV3Schema, a
// field's type changed, a field newly required, or the scope changed.
func breakingCRD(o, n map[string]any) []string {
	var out []string
	oScope, nScope := str(dig(o, "spec", "scope")), str(dig(n, "spec", "scope"))
	if oScope != "" && nScope != "" && oScope != nScope {
		out = append(out, fmt.Sprintf("the scope changes from %s to %s", oScope, nScope))
	}
	oldVersions, oldOrder := crdVersions(o)
	newVersions, _ := crdVersions(n)
	for _, name := range oldOrder {
		ov := oldVersions[name]
		if !ov.served {
			continue
		}
		nv, ok := newVersions[name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("version %s is removed", name))
		case !nv.served:
			out = append(out, fmt.Sprintf("version %s is no longer served", name))
		default:
			compareSchema(&out, "version "+name+": ", "", ov.schema, nv.schema)
		}
	}
	return out
}

type crdVersion struct {
	served bool
	schema map[string]any
}

// crdVersions returns a CRD's versions by name, and their names in order.
// A version's schema is its own openAPIV3Schema, else the CRD's
// spec.validation (apiextensions.k8s.io/v1beta1).
func crdVersions(m map[string]any) (map[string]crdVersion, []string) {
	common, _ := dig(m, "spec", "validation", "openAPIV3Schema").(map[string]any)
	out := map[string]crdVersion{}
	var order []string
	list, _ := dig(m, "spec", "versions").([]any)
	for _, it := range list {
		v, _ := it.(map[string]any)
		name := str(v["name"])
		if name == "" {
			continue
		}
		served, ok := v["served"].(bool)
		if !ok {
			served = true
		}
		schema, _ := dig(v, "schema", "openAPIV3Schema").(map[string]any)
		if schema == nil {
			schema = common
		}
		if _, dup := out[name]; !dup {
			order = append(order, name)
		}
		out[name] = crdVersion{served: served, schema: schema}
	}
	if len(list) == 0 {
		// apiextensions.k8s.io/v1beta1: a single spec.version.
		if name := str(dig(m, "spec", "version")); name != "" {
			out[name] = crdVersion{served: true, schema: common}
			order = append(order, name)
		}
	}
	return out, order
}

// compareSchema appends what n breaks of o, two structural schemas of the
// field at path.
func compareSchema(out *[]string, prefix, path string, o, n map[string]any) {
	if o == nil || n == nil {
		return
	}
	show := path
	if show == "" {
		show = "the resource"
	}
	if ot, nt := str(o["type"]), str(n["type"]); ot != "" && nt != "" && ot != nt {
		*out = append(*out, fmt.Sprintf("%s%s: type changes from %s to %s", prefix, show, ot, nt))
	}
	was := map[string]bool{}
	for _, r := range stringList(o["required"]) {
		was[r] = true
	}
	for _, r := range stringList(n["required"]) {
		if !was[r] {
			*out = append(*out, fmt.Sprintf("%s%s: newly required", prefix, join(path, r)))
		}
	}
	op, _ := o["properties"].(map[string]any)
	np, _ := n["properties"].(map[string]any)
	keep, _ := n["x-kubernetes-preserve-unknown-fields"].(bool)
	names := make([]string, 0, len(op))
	for k := range op {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ov, _ := op[k].(map[string]any)
		nv, ok := np[k]
		if !ok {
			if !keep {
				*out = append(*out, fmt.Sprintf("%s%s: field removed", prefix, join(path, k)))
			}
			continue
		}
		nvm, _ := nv.(map[string]any)
		compareSchema(out, prefix, join(path, k), ov, nvm)
	}
	oi, _ := o["items"].(map[string]any)
	ni, _ := n["items"].(map[string]any)
	compareSchema(out, prefix, path+"[]", oi, ni)
	oa, _ := o["additionalProperties"].(map[string]any)
	na, _ := n["additionalProperties"].(map[string]any)
	compareSchema(out, prefix, path+"[*]", oa, na)
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, it := range l {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
