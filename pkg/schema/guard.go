package schema

import (
	"strconv"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// A comprehension in a definition (if type == "ExternalName" { … }) adds
// fields only when its condition holds, and an evaluated schema does not
// show them, so a checker compiled from it would miss them. The schema
// files are read once for such conditions: a definition whose conditions
// all have the form `if FIELD == LITERAL` gets a guard, which hands the
// manifests that meet a condition to CUE; a definition with any other
// comprehension is left to CUE altogether.

// guard is one `if field == literal` condition of a definition.
type guard struct {
	field string
	value any
}

// conditions lists, per top-level definition, its guards, or nil with ok
// false when it holds a comprehension no guard can stand for.
type conditions map[string]struct {
	guards []guard
	ok     bool
}

// findConditions reads the comprehensions of the schema files.
func findConditions(files []*ast.File) conditions {
	out := conditions{}
	for _, f := range files {
		for _, d := range f.Decls {
			field, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, _, err := ast.LabelName(field.Label)
			if err != nil {
				continue
			}
			guards, ok := guardsOf(field.Value)
			if len(guards) > 0 || !ok {
				entry, seen := out[name]
				if !seen {
					entry.ok = true
				}
				entry.guards = append(entry.guards, guards...)
				entry.ok = entry.ok && ok
				out[name] = entry
			}
		}
	}
	return out
}

// guardsOf returns the guards of a definition's own comprehensions, and
// false if any comprehension, at any depth, is not one.
func guardsOf(n ast.Node) ([]guard, bool) {
	var guards []guard
	ok := true
	if st, isStruct := n.(*ast.StructLit); isStruct {
		for _, el := range st.Elts {
			if c, isComp := el.(*ast.Comprehension); isComp {
				if g, simple := simpleGuard(c); simple {
					guards = append(guards, g)
					continue
				}
				ok = false
			}
		}
	}
	// Any comprehension below the top level defeats the guards.
	ast.Walk(n, func(x ast.Node) bool {
		if st, isStruct := x.(*ast.StructLit); isStruct && st != n {
			for _, el := range st.Elts {
				if _, isComp := el.(*ast.Comprehension); isComp {
					ok = false
				}
			}
		}
		return ok
	}, nil)
	return guards, ok
}

// simpleGuard reads `if FIELD == LITERAL { … }`.
func simpleGuard(c *ast.Comprehension) (guard, bool) {
	if len(c.Clauses) != 1 {
		return guard{}, false
	}
	clause, ok := c.Clauses[0].(*ast.IfClause)
	if !ok {
		return guard{}, false
	}
	cond, ok := clause.Condition.(*ast.BinaryExpr)
	if !ok || cond.Op != token.EQL {
		return guard{}, false
	}
	id, ok := cond.X.(*ast.Ident)
	lit, isLit := cond.Y.(*ast.BasicLit)
	if !ok || !isLit {
		return guard{}, false
	}
	var value any
	switch lit.Kind {
	case token.STRING:
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return guard{}, false
		}
		value = s
	case token.INT:
		i, err := strconv.ParseInt(lit.Value, 10, 64)
		if err != nil {
			return guard{}, false
		}
		value = i
	case token.TRUE, token.FALSE:
		value = lit.Kind == token.TRUE
	default:
		return guard{}, false
	}
	return guard{field: id.Name, value: value}, true
}

// guarded is a struct checker with the conditions of its definition: a
// manifest that meets one is rejected here, so that CUE decides it.
type guarded struct {
	inner  *structChecker
	guards []guard
}

func (g guarded) check(v any, fill *[]insertion) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, gd := range g.guards {
		val, present := m[gd.field]
		if !present {
			if f := g.inner.fields[gd.field]; f != nil {
				val = f.fallback
			}
		}
		if val == gd.value {
			return false
		}
	}
	return g.inner.check(v, fill)
}
