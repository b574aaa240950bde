package merge

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Step is one step of a path into a merged value: a map key, or the item of
// a named list that has a name.
type Step struct {
	Key  string // the map key, when Item is false
	Name string // the item's name, when Item is true
	Item bool
}

// String formats the step as ork diff shows it: key, or [name=NAME].
func (s Step) String() string {
	if s.Item {
		return "[name=" + s.Name + "]"
	}
	return s.Key
}

// Selector is the step as manifest.Doc.Position reads it: the key, or
// name=NAME.
func (s Step) Selector() string {
	if s.Item {
		return "name=" + s.Name
	}
	return s.Key
}

// Path is a path of Steps.
type Path []Step

// String formats the path as ork diff does: spec.containers[name=app].image.
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		if i > 0 && !s.Item {
			b.WriteByte('.')
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// Selectors returns the path as manifest.Doc.Position reads it.
func (p Path) Selectors() []string {
	out := make([]string, len(p))
	for i, s := range p {
		out[i] = s.Selector()
	}
	return out
}

// Op says what a patch did at a path.
type Op int

// What a patch does at a path.
const (
	// Set writes a scalar, a list that is not merged by name, or an empty
	// map, replacing whatever was there.
	Set Op = iota + 1
	// Delete removes a key (key: null) or an item of a named list
	// ($patch: delete).
	Delete
	// Replace discards what was there before the patch writes a value that
	// merges no further with it: a map or a named list where the base held
	// another kind of value, or an item with $patch: replace. What the
	// patch writes there follows as events of its own.
	Replace
)

func (o Op) String() string {
	switch o {
	case Set:
		return "set"
	case Delete:
		return "delete"
	case Replace:
		return "replace"
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Event is one change a patch made to the merged value.
type Event struct {
	Path Path
	Op   Op
	// Value is what Set wrote (the patch's own value, which Patch never
	// modifies), or what Delete removed or Replace discarded.
	Value any
}

// Trace is Patch that also calls record with every change the patch makes,
// in order: map keys in sorted order, list items in the patch's order. It
// is for explaining a value (ork explain), not for building: Patch does the
// same merge without the bookkeeping.
func Trace(base, patch any, record func(Event)) any {
	return apply(base, patch, &tracer{record: record})
}

// tracer keeps the path of the value being patched and reports events.
type tracer struct {
	record func(Event)
	path   Path
}

func (t *tracer) push(s Step) { t.path = append(t.path, s) }
func (t *tracer) pop()        { t.path = t.path[:len(t.path)-1] }

func (t *tracer) emit(op Op, v any) {
	t.record(Event{Path: slices.Clone(t.path), Op: op, Value: v})
}

// created reports a map written where base held no map: what base held is
// discarded, and a patch map that writes no key (empty, or only nulls)
// sets the empty map.
func (t *tracer) created(base any, empty bool) {
	if m, ok := base.(map[string]any); base != nil && !(ok && m == nil) {
		t.emit(Replace, base)
	}
	if empty {
		t.emit(Set, map[string]any{})
	}
}

// replacedList merges the named list p where base held no named list, so
// that it merges into nothing: what base held is discarded, and a list
// that ends up empty is itself the value set.
func (t *tracer) replacedList(base any, p []any) []any {
	if base != nil && len(p) > 0 {
		t.emit(Replace, base)
	}
	out := mergeNamed(nil, p, t)
	if len(out) == 0 {
		t.emit(Set, []any{})
	}
	return out
}

// mapKeys merges the patch map p into b key by key, in sorted order.
func (t *tracer) mapKeys(b, p map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(p)) {
		t.push(Step{Key: k})
		if v := p[k]; v == nil {
			if old, ok := b[k]; ok {
				t.emit(Delete, old)
				delete(b, k)
			}
		} else {
			b[k] = apply(b[k], v, t)
		}
		t.pop()
	}
}
