package compose

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/merge"
)

// tracer records, during an explaining build, how the manifests a Target
// names were made. A nil *tracer records nothing: the normal build.
type tracer struct {
	target Target
	byID   map[manifest.ID]*trace
}

// trace is how one manifest was made.
type trace struct {
	layers    []tracedLayer
	merged    any // after the layers, before templates
	expanded  any // after templates
	completed any // after the schema
}

type tracedLayer struct {
	doc    *manifest.Doc
	events []merge.Event
	after  any // the manifest after this layer
}

// of returns the trace of id, or nil when t is nil or does not trace id.
func (t *tracer) of(id manifest.ID) *trace {
	if t == nil || !t.target.matches(id) {
		return nil
	}
	tr := t.byID[id]
	if tr == nil {
		tr = &trace{}
		t.byID[id] = tr
	}
	return tr
}

// patch merges d into obj, tracing the merge when the manifest is traced.
func (t *tracer) patch(obj map[string]any, d *manifest.Doc) any {
	tr := t.of(d.ID)
	if tr == nil {
		return merge.Patch(obj, d.Object)
	}
	var events []merge.Event
	merged := merge.Trace(obj, d.Object, func(e merge.Event) { events = append(events, e) })
	tr.layers = append(tr.layers, tracedLayer{doc: d, events: events, after: merge.Copy(merged)})
	return merged
}

// completed records the traced manifests as the schema completed them.
func (t *tracer) completed(kat *Katalog) {
	if t == nil {
		return
	}
	for id, tr := range t.byID {
		if e := kat.byID[id]; e != nil {
			tr.completed = merge.Copy(e.obj)
		}
	}
}

// layerSteps are the changes the layers made at, above and below path.
func (tr *trace) layerSteps(path FieldPath) []Step {
	var out []Step
	var before any
	for _, l := range tr.layers {
		out = append(out, l.steps(before, path)...)
		before = l.after
	}
	return out
}

// steps are the changes one layer made at, above and below path, in the
// order they are written in its document; before is the manifest as the
// earlier layers left it.
func (l tracedLayer) steps(before any, path FieldPath) []Step {
	var out []Step
	_, had := valueAt(before, path)
	now, has := valueAt(l.after, path)
	if !had && has && isContainer(now) && hasAny(l.events, path) {
		// The layer wrote the whole map or list: one step, not one
		// per field.
		s := Step{Action: "added", Path: path.String(), Value: now, path: path}
		l.at(&s, path)
		return []Step{s}
	}
	added := map[string]bool{}
	for _, e := range l.events {
		p := fieldPath(e.Path)
		if !hasPrefix(path, p) && !hasPrefix(p, path) {
			continue
		}
		if top, v, ok := newContainer(before, l.after, path, p); ok {
			// Below path, a map or an item this layer added: one step.
			if key := top.String(); !added[key] {
				added[key] = true
				s := Step{Action: "added", Path: key, Value: v, path: top}
				l.at(&s, top)
				out = append(out, s)
			}
			continue
		}
		s := Step{Path: p.String(), path: p}
		prev, existed := valueAt(before, p)
		switch e.Op {
		case merge.Set:
			s.Value = e.Value
			switch {
			case !existed:
				s.Action = "set"
			case sameValue(prev, e.Value):
				if len(p) > len(path) && mechanical(p) {
					continue // a name or identity field, written to say what is patched
				}
				s.Action = "unchanged"
			default:
				s.Action, s.Previous = "changed", prev
			}
		case merge.Delete:
			s.Action, s.Previous = "deleted", e.Value
		case merge.Replace:
			s.Action, s.Previous = "replaced", e.Value
		}
		l.at(&s, p)
		out = append(out, s)
	}
	slices.SortStableFunc(out, byPosition)
	return out
}

// newContainer finds, between path and p (below path, above p), the
// outermost map or list that before lacks and after has.
func newContainer(before, after any, path, p FieldPath) (FieldPath, any, bool) {
	for k := len(path) + 1; k < len(p); k++ {
		if _, ok := valueAt(before, p[:k]); ok {
			continue
		}
		if v, ok := valueAt(after, p[:k]); ok && isContainer(v) {
			return p[:k], v, true
		}
		return nil, nil, false
	}
	return nil, nil, false
}

// at sets where in the layer's document the value at path is written.
func (l tracedLayer) at(s *Step, path FieldPath) {
	pos, ok := l.doc.Position(selectorsOf(path))
	if !ok {
		pos = l.doc.Pos
	}
	s.File, s.Line, s.Column, s.Source = pos.File, pos.Line, pos.Col, l.doc.Source
}

// hasAny reports whether some event is at or below path.
func hasAny(events []merge.Event, path FieldPath) bool {
	for _, e := range events {
		if hasPrefix(fieldPath(e.Path), path) {
			return true
		}
	}
	return false
}

// mechanical reports whether p is a field a layer writes to say what it
// patches rather than to change it: an item's name, or the manifest's
// apiVersion, kind, name and namespace.
func mechanical(p FieldPath) bool {
	switch p.String() {
	case "apiVersion", "kind", "metadata.name", "metadata.namespace":
		return true
	}
	return len(p) >= 2 && p[len(p)-2].Named && p[len(p)-1].Key == "name"
}

func isContainer(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// templateSteps are the templates and domain maps expanded at and below
// path.
func (tr *trace) templateSteps(path FieldPath, production bool) []Step {
	var out []Step
	for _, c := range changes(path, tr.merged, tr.expanded) {
		s := Step{Path: c.path.String(), Value: c.new, path: c.path}
		written := c.path
		if d, ok := c.old.(map[string]any); ok && isDomainMap(d) {
			pick := "environment"
			if production {
				pick = "default"
			}
			s.Action, s.Template, s.Previous = "domain", pick, d[pick]
			written = append(slices.Clip(c.path), FieldStep{Key: pick})
		} else {
			s.Action, s.Previous = "template", c.old
			if str, ok := c.old.(string); ok {
				s.Template = str
			}
		}
		tr.lastWritten(&s, written)
		out = append(out, s)
	}
	slices.SortStableFunc(out, byPosition) // as they are written
	return out
}

// byPosition orders steps by file, line and column.
func byPosition(a, b Step) int {
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	return a.Column - b.Column
}

// lastWritten sets where the last layer that wrote the value at path
// wrote it.
func (tr *trace) lastWritten(s *Step, path FieldPath) {
	for i := len(tr.layers) - 1; i >= 0; i-- {
		l := tr.layers[i]
		for _, e := range slices.Backward(l.events) {
			if e.Op != merge.Delete && hasPrefix(path, fieldPath(e.Path)) {
				l.at(s, path)
				return
			}
		}
	}
}

// schemaSteps are the values the kind's schema filled in or changed at and
// below path; defaultAt says where a default is written.
func (tr *trace) schemaSteps(path FieldPath, apiVersion, kind string, defaultAt func(apiVersion, kind string, path []string) (manifest.Pos, bool)) []Step {
	return changeSteps("completed", path, tr.expanded, tr.completed, func(s *Step, p FieldPath) {
		if s.Previous != nil {
			return
		}
		s.Action, s.Source = "default", "schema"
		if pos, ok := defaultAt(apiVersion, kind, selectorsOf(p)); ok {
			s.File, s.Line, s.Column = pos.File, pos.Line, pos.Col
		}
	})
}

// changeSteps are the differences between two stages of the manifest at
// and below path, as steps of the given action; edit may refine each.
func changeSteps(action string, path FieldPath, old, new any, edit func(*Step, FieldPath)) []Step {
	if old == nil {
		return nil // the manifest did not reach this stage (a policy's)
	}
	var out []Step
	for _, c := range changes(path, old, new) {
		s := Step{Action: action, Path: c.path.String(), Value: c.new, Previous: c.old, path: c.path}
		if action == "policy" {
			s.Source = "policy"
		}
		if edit != nil {
			edit(&s, c.path)
		}
		out = append(out, s)
	}
	return out
}

type change struct {
	path     FieldPath
	old, new any // nil where absent
}

// changes lists the differences between two versions of a manifest at and
// below path, field by field: maps by key, lists merged by name by name,
// other values whole.
func changes(path FieldPath, oldRoot, newRoot any) []change {
	o, _ := valueAt(oldRoot, path)
	n, _ := valueAt(newRoot, path)
	var out []change
	var walk func(p FieldPath, o, n any)
	walk = func(p FieldPath, o, n any) {
		if sameValue(o, n) {
			return
		}
		om, oIsMap := o.(map[string]any)
		nm, nIsMap := n.(map[string]any)
		if oIsMap && nIsMap && !isDomainMap(om) {
			keys := slices.Collect(maps.Keys(om))
			for k := range nm {
				if _, ok := om[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(append(slices.Clip(p), FieldStep{Key: k}), om[k], nm[k])
			}
			return
		}
		ol, oIsList := o.([]any)
		nl, nIsList := n.([]any)
		if oIsList && nIsList && merge.Named(ol) && merge.Named(nl) {
			seen := map[string]bool{}
			for _, l := range [][]any{ol, nl} {
				for _, item := range l {
					name := item.(map[string]any)["name"].(string)
					if seen[name] {
						continue
					}
					seen[name] = true
					step := FieldStep{Name: name, Named: true}
					ov, _ := valueAt(ol, FieldPath{step})
					nv, _ := valueAt(nl, FieldPath{step})
					walk(append(slices.Clip(p), step), ov, nv)
				}
			}
			return
		}
		out = append(out, change{path: p, old: o, new: n})
	}
	walk(path, o, n)
	return out
}

// sameValue compares two values, numbers by value whatever their Go type
// (the schema may give an int where YAML gave an int64).
func sameValue(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// show formats a value on one line: scalars as JSON writes them, maps and
// lists as compact JSON.
func show(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
