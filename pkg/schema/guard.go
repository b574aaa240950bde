package schema

import (
	"slices"
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

// conditions lists, per top-level definition, its guards and its rules
// (rule.go), or ok false when it holds a comprehension that is neither.
type conditions map[string]condition

type condition struct {
	guards []guard
	rules  []*ast.Comprehension
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
			guards, rules, ok := conditionsOf(field.Value)
			if len(guards) > 0 || len(rules) > 0 || !ok {
				entry, seen := out[name]
				if !seen {
					entry.ok = true
				}
				entry.guards = append(entry.guards, guards...)
				entry.rules = append(entry.rules, rules...)
				entry.ok = entry.ok && ok
				out[name] = entry
			}
		}
	}
	return out
}

// conditionsOf returns the guards and rules of a definition's own
// comprehensions, and false if any comprehension, at any depth, is
// neither.
func conditionsOf(n ast.Node) ([]guard, []*ast.Comprehension, bool) {
	var guards []guard
	var rules []*ast.Comprehension
	ok := true
	if st, isStruct := n.(*ast.StructLit); isStruct {
		for _, el := range st.Elts {
			if c, isComp := el.(*ast.Comprehension); isComp {
				if _, isR := isRule(c); isR {
					rules = append(rules, c)
					continue
				}
				if g, simple := simpleGuard(c); simple {
					guards = append(guards, g)
					continue
				}
				ok = false
			}
		}
	}
	// Any comprehension below the top level defeats the guards and rules
	// (a rule nested in a field would go unseen), except the list
	// comprehensions of a top-level rule's own expressions.
	ast.Walk(n, func(x ast.Node) bool {
		if c, isComp := x.(*ast.Comprehension); isComp && slices.Contains(rules, c) {
			return false
		}
		if st, isStruct := x.(*ast.StructLit); isStruct && st != n {
			for _, el := range st.Elts {
				if _, isComp := el.(*ast.Comprehension); isComp {
					ok = false
				}
			}
		}
		return ok
	}, nil)
	return guards, rules, ok
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
	inner  checker
	st     *structChecker // the struct's fields, for defaults
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
			if f := g.st.fields[gd.field]; f != nil {
				val = f.fallback
			}
		}
		if val == gd.value {
			return false
		}
	}
	return g.inner.check(v, fill)
}
