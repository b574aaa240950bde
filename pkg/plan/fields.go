package plan

import (
	"reflect"
	"slices"
	"sort"

	"github.com/orkdev/ork/pkg/fieldpath"
)

// diffFields lists the fields that differ between o and n, below path, in
// document order (keys sorted). A subtree that only one side has is one
// field; lists of named items (containers, env, ports) are compared item by
// item by name (path[name=x]), lists of scalars as a whole, other lists
// index by index.
func diffFields(path []byte, o, n any, w where) []Field {
	if reflect.DeepEqual(o, n) {
		return nil
	}
	om, oIsMap := o.(map[string]any)
	nm, nIsMap := n.(map[string]any)
	if oIsMap && nIsMap {
		keys := make([]string, 0, len(om)+len(nm))
		for k := range om {
			keys = append(keys, k)
		}
		for k := range nm {
			if _, ok := om[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var out []Field
		for _, k := range keys {
			ov, inOld := om[k]
			nv, inNew := nm[k]
			p := fieldpath.AppendKey(slices.Clip(path), k)
			switch {
			case !inOld:
				out = append(out, field(p, Add, absent, nv, w.child(k, nm)))
			case !inNew:
				out = append(out, field(p, Remove, ov, absent, w.child(k, om)))
			default:
				out = append(out, diffFields(p, ov, nv, w.child(k, nm))...)
			}
		}
		return out
	}
	ol, oIsList := o.([]any)
	nl, nIsList := n.([]any)
	if oIsList && nIsList && !(allScalars(ol) && allScalars(nl)) {
		return diffLists(path, ol, nl, w)
	}
	return []Field{field(path, Change, o, n, w)}
}

// diffLists compares two lists that hold maps or lists.
func diffLists(path []byte, ol, nl []any, w where) []Field {
	iw := w.item()
	_, named := fieldpath.ItemNames(ol)
	if _, ok := fieldpath.ItemNames(nl); !ok {
		named = false
	}
	var out []Field
	var order []string // names present on both sides, in each side's order
	var newOrder []string
	for _, p := range pairItems(ol, nl) {
		var ip []byte
		switch {
		case named && p.o >= 0:
			ip = fieldpath.AppendName(slices.Clip(path), ol[p.o].(map[string]any)["name"].(string))
		case named:
			ip = fieldpath.AppendName(slices.Clip(path), nl[p.n].(map[string]any)["name"].(string))
		case p.o >= 0:
			ip = fieldpath.AppendIndex(slices.Clip(path), p.o)
		default:
			ip = fieldpath.AppendIndex(slices.Clip(path), p.n)
		}
		switch {
		case p.n < 0:
			out = append(out, field(ip, Remove, ol[p.o], absent, iw))
		case p.o < 0:
			out = append(out, field(ip, Add, absent, nl[p.n], iw))
		default:
			if named {
				order = append(order, ol[p.o].(map[string]any)["name"].(string))
			}
			out = append(out, diffFields(ip, ol[p.o], nl[p.n], iw)...)
		}
	}
	if named && len(order) > 1 {
		for _, it := range nl {
			name := it.(map[string]any)["name"].(string)
			if slices.Contains(order, name) {
				newOrder = append(newOrder, name)
			}
		}
		if !slices.Equal(order, newOrder) {
			out = append(out, Field{Path: string(path) + " (order)", Action: Change, Old: toAny(order), New: toAny(newOrder)})
		}
	}
	return out
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func allScalars(l []any) bool {
	for _, v := range l {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// field makes one changed field, its values masked.
func field(path []byte, a Action, o, n any, w where) Field {
	mo, mn, masked := maskValues(o, n, w)
	f := Field{Path: string(path), Action: a, Sensitive: masked}
	if mo != absent {
		f.Old = mo
	}
	if mn != absent {
		f.New = mn
	}
	return f
}
