package schema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue/ast"
	cuelit "cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
)

// A rule is a cross-field constraint of a definition, the API server's kind
// (a selector that matches the template's labels, unique container names):
// a comprehension at the top level of the definition whose body is a
// hidden field set to error(…),
//
//	for i, c in containers for j, d in containers if j > i if c.name == d.name {
//		_uniqueContainerNames: error("containers[\(j)].name: …")
//	}
//
// so that CUE fails with the rule's own message whenever the clauses
// produce a value. The checker evaluates the same clauses on the manifest
// with the small interpreter below and hands the manifest to CUE whenever
// a rule fires, or whenever an expression cannot be evaluated (a missing
// field outside a `_|_` test, mismatched types): CUE then decides, and
// reports. The interpreter covers references to the definition's fields
// and to loop variables, selectors and indexes, `_|_` tests, comparisons,
// `&&`, `||`, `!`, len(), string interpolation and list comprehensions;
// a rule written with anything else leaves its kind to CUE.

// rule is one compiled rule.
type rule struct {
	name    string // the hidden field, which names the rule
	clauses []clause
}

type clause struct {
	// A for clause binds key and value over source; an if clause tests cond.
	key, value string
	source     expr
	cond       expr
}

// expr evaluates to a manifest value (map[string]any, []any, string, int64,
// float64, bool, nil); ok is false for bottom: a missing field or an error.
type expr interface {
	eval(e *env) (v any, ok bool)
}

// env is the state of one rule evaluation.
type env struct {
	root   map[string]any // the value of the definition being checked
	st     *structChecker // its fields, for the defaults of absent ones
	vars   []binding
	budget int // iterations left; rules over huge lists give up (to CUE)
}

type binding struct {
	name  string
	value any
}

// maxRuleSteps bounds the iterations of a manifest's rules; a manifest that
// needs more is handed to CUE.
const maxRuleSteps = 1 << 16

// isRule reports whether a comprehension has a rule's body.
func isRule(c *ast.Comprehension) (string, bool) {
	st, ok := c.Value.(*ast.StructLit)
	if !ok || len(st.Elts) != 1 {
		return "", false
	}
	f, ok := st.Elts[0].(*ast.Field)
	if !ok {
		return "", false
	}
	id, ok := f.Label.(*ast.Ident)
	if !ok || !strings.HasPrefix(id.Name, "_") || strings.HasPrefix(id.Name, "_#") {
		return "", false
	}
	call, ok := f.Value.(*ast.CallExpr)
	if !ok {
		return "", false
	}
	fn, ok := call.Fun.(*ast.Ident)
	if !ok || fn.Name != "error" {
		return "", false
	}
	return id.Name, true
}

// compileRule compiles a rule against the fields of its definition.
func compileRule(c *ast.Comprehension, fields map[string]*field) (rule, error) {
	name, ok := isRule(c)
	if !ok {
		return rule{}, unsupported{"a comprehension that is not a rule"}
	}
	r := rule{name: name}
	rc := ruleCompiler{fields: fields}
	for _, cl := range c.Clauses {
		switch x := cl.(type) {
		case *ast.ForClause:
			src, err := rc.expr(x.Source)
			if err != nil {
				return rule{}, err
			}
			var out clause
			out.source = src
			if x.Key != nil {
				out.key = x.Key.Name
			}
			if x.Value == nil {
				return rule{}, unsupported{"for clause without a value"}
			}
			out.value = x.Value.Name
			rc.vars = append(rc.vars, out.key, out.value)
			r.clauses = append(r.clauses, out)
		case *ast.IfClause:
			cond, err := rc.expr(x.Condition)
			if err != nil {
				return rule{}, err
			}
			r.clauses = append(r.clauses, clause{cond: cond})
		default:
			return rule{}, unsupported{fmt.Sprintf("rule clause %T", cl)}
		}
	}
	return r, nil
}

// fires evaluates the rule on v: true when it produces its error, or when
// it cannot be evaluated; either way CUE must decide.
func (r rule) fires(e *env) bool {
	return !r.run(e, 0)
}

// run evaluates the clauses from i; it reports false when the body is
// reached or evaluation fails.
func (r rule) run(e *env, i int) bool {
	if e.budget--; e.budget < 0 {
		return false
	}
	if i == len(r.clauses) {
		return false // the body: the rule's error
	}
	c := r.clauses[i]
	if c.source == nil {
		v, ok := c.cond.eval(e)
		b, isBool := v.(bool)
		if !ok || !isBool {
			return false
		}
		return !b || r.run(e, i+1)
	}
	return e.each(c, func() bool { return r.run(e, i+1) })
}

// each binds a for clause's variables to every item of its source in
// turn, calling next for each; false when next fails or the source is not
// a list or struct.
func (e *env) each(c clause, next func() bool) bool {
	src, ok := c.source.eval(e)
	if !ok {
		return false
	}
	mark := len(e.vars)
	ok = true
	switch x := src.(type) {
	case []any:
		for n, item := range x {
			e.vars = e.vars[:mark]
			if c.key != "" {
				e.vars = append(e.vars, binding{c.key, int64(n)})
			}
			e.vars = append(e.vars, binding{c.value, item})
			if !next() {
				ok = false
				break
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			e.vars = e.vars[:mark]
			if c.key != "" {
				e.vars = append(e.vars, binding{c.key, k})
			}
			e.vars = append(e.vars, binding{c.value, x[k]})
			if !next() {
				ok = false
				break
			}
		}
	default:
		ok = false
	}
	e.vars = e.vars[:mark]
	return ok
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ruleCompiler translates the expressions of one rule.
type ruleCompiler struct {
	fields map[string]*field
	vars   []string // in scope, innermost last
}

func (rc *ruleCompiler) bound(name string) bool {
	for i := len(rc.vars) - 1; i >= 0; i-- {
		if rc.vars[i] == name {
			return true
		}
	}
	return false
}

func (rc *ruleCompiler) expr(n ast.Expr) (expr, error) {
	switch x := n.(type) {
	case *ast.ParenExpr:
		return rc.expr(x.X)
	case *ast.Ident:
		if rc.bound(x.Name) {
			return varRef(x.Name), nil
		}
		if f, ok := rc.fields[x.Name]; ok && f != nil {
			return fieldRef(x.Name), nil
		}
		return nil, unsupported{"rule reference " + x.Name}
	case *ast.BasicLit:
		return literalExpr(x)
	case *ast.SelectorExpr:
		base, err := rc.expr(x.X)
		if err != nil {
			return nil, err
		}
		name, _, err := ast.LabelName(x.Sel)
		if err != nil {
			return nil, unsupported{"rule selector: " + err.Error()}
		}
		return selectExpr{base, name}, nil
	case *ast.IndexExpr:
		base, err := rc.expr(x.X)
		if err != nil {
			return nil, err
		}
		idx, err := rc.expr(x.Index)
		if err != nil {
			return nil, err
		}
		return indexExpr{base, idx}, nil
	case *ast.UnaryExpr:
		if x.Op != token.NOT {
			return nil, unsupported{"rule operator " + x.Op.String()}
		}
		inner, err := rc.expr(x.X)
		if err != nil {
			return nil, err
		}
		return notExpr{inner}, nil
	case *ast.BinaryExpr:
		if _, isBottom := x.Y.(*ast.BottomLit); isBottom && (x.Op == token.EQL || x.Op == token.NEQ) {
			inner, err := rc.expr(x.X)
			if err != nil {
				return nil, err
			}
			return bottomTest{inner, x.Op == token.EQL}, nil
		}
		l, err := rc.expr(x.X)
		if err != nil {
			return nil, err
		}
		r, err := rc.expr(x.Y)
		if err != nil {
			return nil, err
		}
		switch x.Op {
		case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ, token.LAND, token.LOR:
			return binaryExpr{x.Op, l, r}, nil
		}
		return nil, unsupported{"rule operator " + x.Op.String()}
	case *ast.CallExpr:
		if fn, ok := x.Fun.(*ast.Ident); ok && fn.Name == "len" && len(x.Args) == 1 {
			arg, err := rc.expr(x.Args[0])
			if err != nil {
				return nil, err
			}
			return lenExpr{arg}, nil
		}
		return nil, unsupported{"rule call"}
	case *ast.Interpolation:
		return rc.interpolation(x)
	case *ast.ListLit:
		var l listExpr
		for _, el := range x.Elts {
			if c, ok := el.(*ast.Comprehension); ok {
				comp, err := rc.listComprehension(c)
				if err != nil {
					return nil, err
				}
				l = append(l, comp)
				continue
			}
			item, err := rc.expr(el)
			if err != nil {
				return nil, err
			}
			l = append(l, listItem{item})
		}
		return l, nil
	}
	return nil, unsupported{fmt.Sprintf("rule expression %T", n)}
}

// listComprehension compiles [for … if … {x}], whose body embeds one
// expression.
func (rc *ruleCompiler) listComprehension(c *ast.Comprehension) (listPart, error) {
	mark := len(rc.vars)
	defer func() { rc.vars = rc.vars[:mark] }()
	var out compExpr
	for _, cl := range c.Clauses {
		switch x := cl.(type) {
		case *ast.ForClause:
			src, err := rc.expr(x.Source)
			if err != nil {
				return nil, err
			}
			var k string
			if x.Key != nil {
				k = x.Key.Name
			}
			if x.Value == nil {
				return nil, unsupported{"for clause without a value"}
			}
			out.clauses = append(out.clauses, clause{key: k, value: x.Value.Name, source: src})
			rc.vars = append(rc.vars, k, x.Value.Name)
		case *ast.IfClause:
			cond, err := rc.expr(x.Condition)
			if err != nil {
				return nil, err
			}
			out.clauses = append(out.clauses, clause{cond: cond})
		default:
			return nil, unsupported{fmt.Sprintf("list comprehension clause %T", cl)}
		}
	}
	st, ok := c.Value.(*ast.StructLit)
	if !ok || len(st.Elts) != 1 {
		return nil, unsupported{"list comprehension body"}
	}
	emb, ok := st.Elts[0].(*ast.EmbedDecl)
	if !ok {
		return nil, unsupported{"list comprehension body"}
	}
	body, err := rc.expr(emb.Expr)
	if err != nil {
		return nil, err
	}
	out.body = body
	return out, nil
}

func (rc *ruleCompiler) interpolation(x *ast.Interpolation) (expr, error) {
	var parts []expr
	for i, el := range x.Elts {
		lit, isLit := el.(*ast.BasicLit)
		if i%2 == 1 {
			e, err := rc.expr(el)
			if err != nil {
				return nil, err
			}
			parts = append(parts, e)
			continue
		}
		if !isLit {
			return nil, unsupported{"interpolation"}
		}
		s := lit.Value
		if i == 0 {
			if !strings.HasPrefix(s, `"`) || strings.HasPrefix(s, `"""`) {
				return nil, unsupported{"interpolation quoting"}
			}
			s = s[1:]
		} else {
			s = strings.TrimPrefix(s, ")")
		}
		if i == len(x.Elts)-1 {
			s = strings.TrimSuffix(s, `"`)
		} else {
			s = strings.TrimSuffix(s, `\(`)
		}
		if strings.ContainsAny(s, `\"`) {
			return nil, unsupported{"escapes in an interpolation"}
		}
		parts = append(parts, constExpr{s})
	}
	return interpolationExpr(parts), nil
}

func literalExpr(x *ast.BasicLit) (expr, error) {
	switch x.Kind {
	case token.STRING:
		s, err := cuelit.Unquote(x.Value)
		if err != nil {
			return nil, unsupported{"string literal: " + err.Error()}
		}
		return constExpr{s}, nil
	case token.INT:
		var n cuelit.NumInfo
		if err := cuelit.ParseNum(x.Value, &n); err != nil || !n.IsInt() {
			return nil, unsupported{"integer literal " + x.Value}
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			return nil, unsupported{"integer literal " + x.Value}
		}
		return constExpr{i}, nil
	case token.TRUE, token.FALSE:
		return constExpr{x.Kind == token.TRUE}, nil
	case token.NULL:
		return constExpr{nil}, nil
	}
	return nil, unsupported{"literal " + x.Value}
}

type constExpr struct{ v any }

func (c constExpr) eval(*env) (any, bool) { return c.v, true }

type varRef string

func (v varRef) eval(e *env) (any, bool) {
	for i := len(e.vars) - 1; i >= 0; i-- {
		if e.vars[i].name == string(v) {
			return e.vars[i].value, true
		}
	}
	return nil, false
}

type fieldRef string

func (f fieldRef) eval(e *env) (any, bool) {
	if v, ok := e.root[string(f)]; ok {
		return v, true
	}
	if fd := e.st.fields[string(f)]; fd != nil && fd.fallback != nil {
		return fd.fallback, true
	}
	return nil, false
}

type selectExpr struct {
	base expr
	name string
}

func (s selectExpr) eval(e *env) (any, bool) {
	b, ok := s.base.eval(e)
	if !ok {
		return nil, false
	}
	m, isMap := b.(map[string]any)
	if !isMap {
		return nil, false
	}
	v, ok := m[s.name]
	return v, ok
}

type indexExpr struct{ base, index expr }

func (x indexExpr) eval(e *env) (any, bool) {
	b, ok := x.base.eval(e)
	if !ok {
		return nil, false
	}
	i, ok := x.index.eval(e)
	if !ok {
		return nil, false
	}
	switch c := b.(type) {
	case map[string]any:
		k, isString := i.(string)
		if !isString {
			return nil, false
		}
		v, ok := c[k]
		return v, ok
	case []any:
		n, isInt := i.(int64)
		if !isInt || n < 0 || n >= int64(len(c)) {
			return nil, false
		}
		return c[n], true
	}
	return nil, false
}

type bottomTest struct {
	x      expr
	equals bool // x == _|_ rather than x != _|_
}

func (b bottomTest) eval(e *env) (any, bool) {
	_, ok := b.x.eval(e)
	return ok != b.equals, true
}

type notExpr struct{ x expr }

func (n notExpr) eval(e *env) (any, bool) {
	v, ok := n.x.eval(e)
	b, isBool := v.(bool)
	if !ok || !isBool {
		return nil, false
	}
	return !b, true
}

type binaryExpr struct {
	op   token.Token
	l, r expr
}

func (b binaryExpr) eval(e *env) (any, bool) {
	l, ok := b.l.eval(e)
	if !ok {
		return nil, false
	}
	r, ok := b.r.eval(e)
	if !ok {
		return nil, false
	}
	switch b.op {
	case token.LAND, token.LOR:
		lb, lok := l.(bool)
		rb, rok := r.(bool)
		if !lok || !rok {
			return nil, false
		}
		if b.op == token.LAND {
			return lb && rb, true
		}
		return lb || rb, true
	}
	var c int
	switch lv := l.(type) {
	case string:
		rv, ok := r.(string)
		if !ok {
			return nil, false
		}
		c = cmpOrdered(lv, rv)
	case int64:
		rv, ok := r.(int64)
		if !ok {
			return nil, false
		}
		c = cmpOrdered(lv, rv)
	case bool:
		rv, ok := r.(bool)
		if !ok || (b.op != token.EQL && b.op != token.NEQ) {
			return nil, false
		}
		if lv != rv {
			c = 1
		}
	default:
		return nil, false // floats, null, lists and structs: CUE decides
	}
	switch b.op {
	case token.EQL:
		return c == 0, true
	case token.NEQ:
		return c != 0, true
	case token.LSS:
		return c < 0, true
	case token.LEQ:
		return c <= 0, true
	case token.GTR:
		return c > 0, true
	case token.GEQ:
		return c >= 0, true
	}
	return nil, false
}

type lenExpr struct{ x expr }

func (l lenExpr) eval(e *env) (any, bool) {
	v, ok := l.x.eval(e)
	if !ok {
		return nil, false
	}
	switch x := v.(type) {
	case []any:
		return int64(len(x)), true
	case map[string]any:
		return int64(len(x)), true
	case string:
		return int64(len(x)), true
	}
	return nil, false
}

type interpolationExpr []expr

func (p interpolationExpr) eval(e *env) (any, bool) {
	var b strings.Builder
	for _, part := range p {
		v, ok := part.eval(e)
		if !ok {
			return nil, false
		}
		switch x := v.(type) {
		case string:
			b.WriteString(x)
		case int64:
			b.WriteString(strconv.FormatInt(x, 10))
		default:
			return nil, false
		}
	}
	return b.String(), true
}

// listExpr is a list literal: items and comprehensions.
type listExpr []listPart

type listPart interface {
	// add appends the part's values; false when evaluation fails.
	add(e *env, out []any) ([]any, bool)
}

type listItem struct{ x expr }

func (l listItem) add(e *env, out []any) ([]any, bool) {
	v, ok := l.x.eval(e)
	if !ok {
		return out, false
	}
	return append(out, v), true
}

type compExpr struct {
	clauses []clause
	body    expr
}

func (c compExpr) add(e *env, out []any) ([]any, bool) {
	ok := c.run(e, 0, &out)
	return out, ok
}

func (c compExpr) run(e *env, i int, out *[]any) bool {
	if e.budget--; e.budget < 0 {
		return false
	}
	if i == len(c.clauses) {
		v, ok := c.body.eval(e)
		*out = append(*out, v)
		return ok
	}
	cl := c.clauses[i]
	if cl.source == nil {
		v, ok := cl.cond.eval(e)
		b, isBool := v.(bool)
		if !ok || !isBool {
			return false
		}
		return !b || c.run(e, i+1, out)
	}
	return e.each(cl, func() bool { return c.run(e, i+1, out) })
}

func (l listExpr) eval(e *env) (any, bool) {
	out := []any{}
	for _, p := range l {
		var ok bool
		if out, ok = p.add(e, out); !ok {
			return nil, false
		}
	}
	return out, true
}

// ruled is a checker with the rules of its definition: a value that passes
// the inner checker must also keep every rule from firing.
type ruled struct {
	inner checker
	st    *structChecker // the definition's fields, for defaults
	rules []rule
}

func (r ruled) check(v any, fill *[]insertion) bool {
	mark := len(*fill)
	if !r.inner.check(v, fill) {
		return false
	}
	m := v.(map[string]any) // the inner checker accepts only structs
	// Every struct with rules is checked in an environment of its own:
	// taken from a pool, they cost no allocation each.
	e := envs.Get().(*env)
	*e = env{root: m, st: r.st, budget: maxRuleSteps, vars: e.vars[:0]}
	fired := false
	for _, rl := range r.rules {
		e.vars = e.vars[:0]
		if fired = rl.fires(e); fired {
			break
		}
	}
	clear(e.vars[:cap(e.vars)]) // no values kept alive by the pool
	*e = env{vars: e.vars[:0]}
	envs.Put(e)
	if fired {
		*fill = (*fill)[:mark]
		return false
	}
	return true
}

var envs = sync.Pool{New: func() any { return &env{vars: make([]binding, 0, 8)} }}
