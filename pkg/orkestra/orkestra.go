// Package orkestra checks, when a bundle is built, what the Orkestra runtime
// (github.com/orkspace/orkestra) checks when it starts with that bundle's
// Katalog, so that CI fails rather than the cluster: one Katalog per
// environment, in the apiVersion Orkestra reads; each CRD entry's apiTypes
// naming a CRD the bundle holds (or one the cluster has before the bundle is
// applied), with the same group, version, kind, plural and scope; dependsOn
// naming entries without forming a cycle; and typed entries naming their Go
// types.
//
// It works on decoded manifests (plain maps) and reports each problem with
// the manifest it is in and the path of the offending field, for the caller
// to turn into a file, line and column.
package orkestra

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Names of the Orkestra interface ork's bundles follow.
const (
	Group      = "orkestra.orkspace.io"
	APIVersion = Group + "/v1"
	Kind       = "Katalog"
)

// Problem is one thing the Orkestra runtime would refuse, in manifest Index
// of the checked list, at Path within it.
type Problem struct {
	Index int
	Path  []string
	Msg   string
}

// IsKatalog reports whether a manifest of an API group and kind is an
// Orkestra Katalog of any version, this one or an older one
// (orkestra.konductor.io, ork's former orkestra.orcra.io): kind Katalog in
// a group named orkestra.*. A Katalog kind of another operator's group is
// not Orkestra's.
func IsKatalog(group, kind string) bool {
	return kind == Kind && strings.HasPrefix(group, "orkestra.")
}

func isKatalog(m map[string]any) bool {
	api, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	group := ""
	if i := strings.LastIndexByte(api, '/'); i >= 0 {
		group = api[:i]
	}
	return IsKatalog(group, kind)
}

// Check checks the manifests of one environment. preApplied names the CRDs
// (plural.group) that are in the cluster before the bundle is applied.
func Check(manifests []map[string]any, preApplied []string) []Problem {
	var problems []Problem
	crds := map[string]map[string]any{}
	for _, m := range manifests {
		if api, _ := m["apiVersion"].(string); api == "apiextensions.k8s.io/v1" && m["kind"] == "CustomResourceDefinition" {
			if name := str(m, "metadata", "name"); name != "" {
				crds[name] = m
			}
		}
	}
	external := map[string]bool{}
	for _, n := range preApplied {
		external[n] = true
	}
	for i, m := range manifests {
		if !isKatalog(m) {
			continue
		}
		if api, _ := m["apiVersion"].(string); api != APIVersion {
			problems = append(problems, Problem{i, []string{"apiVersion"},
				fmt.Sprintf("the Orkestra runtime reads only apiVersion %s and stops at start on %q", APIVersion, api)})
			continue
		}
		entries, _ := get(m, "spec", "crds").(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(entries)) {
			e, _ := entries[name].(map[string]any)
			at := []string{"spec", "crds", name}
			for _, p := range checkEntry(e, crds, external) {
				p.Index = i
				p.Path = append(slices.Clone(at), p.Path...)
				problems = append(problems, p)
			}
		}
		problems = append(problems, checkDependsOn(i, entries)...)
	}
	return problems
}

// builtin reports whether group is one of Kubernetes' own API groups (the
// core group, a group without a dot such as apps or batch, or *.k8s.io),
// whose kinds Orkestra completes from discovery and which need no CRD. A
// CRD's group always has a dot.
func builtin(group string) bool {
	return !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io")
}

func checkEntry(e map[string]any, crds map[string]map[string]any, external map[string]bool) []Problem {
	var problems []Problem
	add := func(msg string, path ...string) {
		problems = append(problems, Problem{Path: path, Msg: msg})
	}
	api, _ := e["apiTypes"].(map[string]any)
	location, _ := api["location"].(string)
	mode, _ := e["mode"].(string)
	if mode == "typed" && location == "" {
		// Orkestra's own rule at start.
		add("mode is typed but apiTypes.location is missing: typed entries need the Go package of their types, built into the runtime", "mode")
	}
	if box, ok := e["operatorBox"].(map[string]any); ok && location == "" {
		for _, f := range []string{"hooks", "constructor"} {
			if get(box, "reconciler", f) != nil {
				add(fmt.Sprintf("reconciler.%s needs a typed entry: apiTypes.location is missing", f), "operatorBox", "reconciler", f)
			}
		}
	}
	group, _ := api["group"].(string)
	if builtin(group) {
		return problems
	}
	version, _ := api["version"].(string)
	kind, _ := api["kind"].(string)
	plural, _ := api["plural"].(string)
	for _, f := range [][2]string{{"version", version}, {"plural", plural}} {
		if f[1] == "" {
			add(fmt.Sprintf("apiTypes.%s is missing: Orkestra completes it only for Kubernetes' own kinds", f[0]), "apiTypes")
		}
	}
	if version == "" || plural == "" {
		return problems
	}
	name := plural + "." + group
	crd, ok := crds[name]
	if !ok {
		if !external[name] {
			add(fmt.Sprintf("no CustomResourceDefinition %s in the bundle: add it to a source, or list it under the Komposer's bundle.preAppliedCRDs if the cluster has it already", name), "apiTypes")
		}
		return problems
	}
	if k := str(crd, "spec", "names", "kind"); k != kind {
		add(fmt.Sprintf("kind %q, but CustomResourceDefinition %s defines kind %q", kind, name, k), "apiTypes", "kind")
	}
	served := false
	var versions []string
	list, _ := get(crd, "spec", "versions").([]any)
	for _, v := range list {
		vm, _ := v.(map[string]any)
		n, _ := vm["name"].(string)
		if s, _ := vm["served"].(bool); s {
			versions = append(versions, n)
			if n == version {
				served = true
			}
		}
	}
	if !served {
		add(fmt.Sprintf("version %q is not served by CustomResourceDefinition %s (served: %s)", version, name, strings.Join(versions, ", ")), "apiTypes", "version")
	}
	scope := str(crd, "spec", "scope")
	namespaced := true // Orkestra's default
	if b, ok := e["namespaced"].(bool); ok {
		namespaced = b
	}
	if want := scope == "Namespaced"; namespaced != want {
		where := []string{"namespaced"}
		if _, set := e["namespaced"]; !set {
			where = []string{"apiTypes"}
		}
		add(fmt.Sprintf("namespaced is %t (Orkestra's default when unset is true), but CustomResourceDefinition %s has scope %s", namespaced, name, scope), where...)
	}
	return problems
}

// checkDependsOn reports dependsOn names that are no entry, and cycles.
func checkDependsOn(index int, entries map[string]any) []Problem {
	var problems []Problem
	edges := map[string][]string{}
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		e, _ := entries[name].(map[string]any)
		var deps []string
		switch d := e["dependsOn"].(type) {
		case []any:
			for _, x := range d {
				if s, ok := x.(string); ok {
					deps = append(deps, s)
				}
			}
		case map[string]any:
			deps = slices.Sorted(maps.Keys(d))
		}
		for i, dep := range deps {
			if _, ok := entries[dep]; !ok {
				path := []string{"spec", "crds", name, "dependsOn"}
				if _, isList := e["dependsOn"].([]any); isList {
					path = append(path, fmt.Sprint(i))
				} else {
					path = append(path, dep)
				}
				problems = append(problems, Problem{index, path,
					fmt.Sprintf("%q is no entry of spec.crds (entries: %s)", dep, strings.Join(slices.Sorted(maps.Keys(entries)), ", "))})
				continue
			}
			edges[name] = append(edges[name], dep)
		}
	}
	if cycle := findCycle(edges); cycle != nil {
		problems = append(problems, Problem{index, []string{"spec", "crds", cycle[0], "dependsOn"},
			"cycle " + strings.Join(cycle, " -> ") + ": Orkestra starts entries in dependency order and refuses a cycle"})
	}
	return problems
}

// findCycle returns a cycle of the graph, starting and ending with the same
// node, or nil. It looks from each node in sorted order, so the cycle
// reported is always the same.
func findCycle(edges map[string][]string) []string {
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(n string) []string
	visit = func(n string) []string {
		state[n] = open
		stack = append(stack, n)
		for _, m := range edges[n] {
			switch state[m] {
			case open:
				i := slices.Index(stack, m)
				return append(slices.Clone(stack[i:]), m)
			case unseen:
				if c := visit(m); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return nil
	}
	for _, n := range slices.Sorted(maps.Keys(edges)) {
		if state[n] == unseen {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

func get(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func str(m map[string]any, path ...string) string {
	s, _ := get(m, path...).(string)
	return s
}
