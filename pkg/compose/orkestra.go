package compose

import (
	"fmt"
	"path"
	"strings"

	"github.com/orkdev/ork/pkg/orkestra"
)

// oneKatalog reports every Katalog of an environment after the first: the
// Orkestra runtime reads one, the first document of the bundle's
// katalog.yaml. Layers holding the same Katalog (same apiVersion, kind,
// namespace and name) have already been merged into one.
func (kat *Katalog) oneKatalog(problems *problemList) {
	var first *entry
	for _, id := range kat.IDs {
		if !orkestra.IsKatalog(id.Group, id.Kind) {
			continue
		}
		e := kat.byID[id]
		if first == nil {
			first = e
			continue
		}
		d, f := e.docs[0], first.docs[0]
		problems.add(problem{pos: d.Pos, source: d.Source, env: kat.Env.Name, subject: id.String(),
			msg: fmt.Sprintf("a second Katalog in one environment (the first is %s at %s, source %q): the Orkestra runtime reads one Katalog per bundle; give every layer's Katalog the same apiVersion, namespace and name so that they merge",
				f.ID, f.Pos, f.Source)})
	}
}

// resolveCRDFiles replaces each Katalog entry's crdFile by the apiTypes of
// the CRD that file holds, as Orkestra does when it loads the entry, and
// drops crdFile, crFiles and setup: they name files beside a developer's
// Katalog, which the runtime in the cluster cannot read. The CRD itself
// travels in the bundle, and so do the custom resources of crFiles when a
// layer holds them.
func (kat *Katalog) resolveCRDFiles(problems *problemList) {
	byFile := map[string]*entry{}
	for _, id := range kat.IDs {
		if id.Group != "apiextensions.k8s.io" || id.Kind != "CustomResourceDefinition" {
			continue
		}
		e := kat.byID[id]
		for _, d := range e.docs {
			byFile[d.Pos.File] = e
		}
	}
	for _, id := range kat.IDs {
		if id.Kind != orkestra.Kind || id.Group != orkestra.Group {
			continue
		}
		k := kat.byID[id]
		spec, _ := k.obj["spec"].(map[string]any)
		crds, _ := spec["crds"].(map[string]any)
		for name, v := range crds {
			e, _ := v.(map[string]any)
			file, ok := e["crdFile"].(string)
			if !ok {
				continue
			}
			at := []string{"spec", "crds", name, "crdFile"}
			pos, src := k.locate(at)
			fail := func(format string, args ...any) {
				problems.add(problem{pos: pos, source: src, env: kat.Env.Name, subject: id.String(), msg: pathMsg(at, k.obj, fmt.Sprintf(format, args...))})
			}
			if strings.Contains(file, "://") {
				fail("%q is not in the bundle: the runtime in the cluster cannot fetch it; put the CRD in a source and name it with apiTypes", file)
				continue
			}
			target := path.Clean(path.Join(path.Dir(pos.File), file))
			crd := byFile[target]
			if crd == nil {
				fail("no CustomResourceDefinition from %s in this environment's layers; crdFile names a file beside the Katalog, which must be in a source", target)
				continue
			}
			api, _ := e["apiTypes"].(map[string]any)
			if api == nil {
				api = map[string]any{}
			}
			spec, _ := crd.obj["spec"].(map[string]any)
			names, _ := spec["names"].(map[string]any)
			api["group"], api["kind"], api["plural"] = spec["group"], names["kind"], names["plural"]
			if v := storageVersion(spec); v != "" {
				api["version"] = v
			}
			e["apiTypes"] = api
			delete(e, "crdFile")
			delete(e, "crFiles")
			delete(e, "setup")
		}
	}
}

// storageVersion is the version a CRD stores, else its first.
func storageVersion(spec map[string]any) string {
	list, _ := spec["versions"].([]any)
	first := ""
	for _, v := range list {
		m, _ := v.(map[string]any)
		name, _ := m["name"].(string)
		if first == "" {
			first = name
		}
		if s, _ := m["storage"].(bool); s {
			return name
		}
	}
	return first
}

// checkOrkestra makes the Orkestra runtime's start-up checks.
func (b *builder) checkOrkestra(kat *Katalog, problems *problemList) {
	objs := make([]map[string]any, len(kat.IDs))
	for i, id := range kat.IDs {
		objs[i] = kat.byID[id].obj
	}
	for _, p := range orkestra.Check(objs, b.k.PreAppliedCRDs) {
		id := kat.IDs[p.Index]
		pos, src := kat.byID[id].locate(p.Path)
		problems.add(problem{pos: pos, source: src, env: kat.Env.Name, subject: id.String(), msg: pathMsg(p.Path, kat.byID[id].obj, p.Msg)})
	}
}
