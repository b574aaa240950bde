package schema

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"cuelang.org/go/cue"
)

// A checker is a kind's CUE definition compiled, once, into Go: it decides
// whether a manifest satisfies the definition and which defaults complete
// it, in microseconds rather than a CUE unification per manifest.
//
// It is an accelerator, not a second source of truth: it handles the CUE
// constructs the embedded schemas use (closed structs, patterns, open lists,
// disjunctions, defaults, kinds, bounds, regular expressions, literals) and
// refuses to compile anything else, in which case the kind is checked by CUE
// alone. A manifest the checker rejects is checked again by CUE, so every
// message users see is CUE's own. TestCheckerAgreesWithCUE holds the two to
// the same verdicts and the same completed values.
type checker interface {
	// check validates v, recording the defaults to add in fill.
	check(v any, fill *[]insertion) bool
}

// insertion is a default to add once the whole manifest is known valid.
type insertion struct {
	into  map[string]any
	key   string
	value any
}

// compiler translates the definitions of one schema package; references to
// the package's top-level definitions are resolved in root.
type compiler struct {
	root       cue.Value
	defs       map[string]checker // compiled top-level definitions; nil while in progress
	conditions conditions         // which definitions hold comprehensions
}

// unsupported is returned by compileValue for CUE it does not translate.
type unsupported struct{ reason string }

func (u unsupported) Error() string { return "cannot compile: " + u.reason }

const maxCompileDepth = 40

// compileValue translates a schema value into a checker.
func (cc *compiler) compileValue(v cue.Value, depth int) (checker, error) {
	if depth > maxCompileDepth {
		return nil, unsupported{"schema nests too deeply"}
	}
	if err := v.Err(); err != nil {
		return nil, unsupported{"schema value is an error: " + err.Error()}
	}
	op, args := v.Expr()
	if op == cue.SelectorOp {
		c, err := cc.compileReference(v, args, depth)
		if err == nil {
			return c, nil
		}
		switch v.IncompleteKind() {
		case cue.StructKind:
			return cc.compileStruct(v, depth)
		case cue.ListKind:
			return cc.compileList(v, depth)
		}
		return nil, err
	}
	if op == cue.OrOp {
		// A disjunction: a value is valid if any disjunct accepts it.
		// (Defaults matter only for absent fields; see field.)
		var alts anyOf
		for _, a := range args {
			c, err := cc.compileValue(a, depth+1)
			if err != nil {
				return nil, err
			}
			alts = append(alts, c)
		}
		return alts, nil
	}
	kind := v.IncompleteKind()
	switch {
	case kind == cue.StructKind:
		c, err := cc.compileStruct(v, depth)
		if err != nil || op != cue.AndOp {
			return c, err
		}
		// A struct that embeds or unifies definitions ({#PodSpec,
		// restartPolicy?: "Always"}) has their conditions too.
		for _, name := range cc.embeddedDefinitions(v, 0) {
			if c, err = cc.guard(name, c); err != nil {
				return nil, err
			}
		}
		return c, nil
	case kind == cue.ListKind:
		return cc.compileList(v, depth)
	case kind == cue.TopKind && op == cue.NoOp:
		return top{}, nil
	}
	return cc.compileScalar(v, depth)
}

// compileReference compiles a value written as a reference (#Port,
// int32). A reference to a definition is followed to the definition's own
// expression, so that no constraint of it is lost; a predeclared identifier
// (int32, uint16) is evaluated to its bounds.
func (cc *compiler) compileReference(v cue.Value, args []cue.Value, depth int) (checker, error) {
	if len(args) == 2 {
		if name, err := args[1].String(); err == nil {
			sel := cue.Str(name)
			if len(name) > 0 && name[0] == '#' {
				sel = cue.Def(name)
			}
			if c, done := cc.defs[name]; done {
				if c == nil {
					return nil, unsupported{"recursive definition " + name}
				}
				return c, nil
			}
			if target := cc.root.LookupPath(cue.MakePath(sel)); target.Exists() {
				if cc.defs == nil {
					cc.defs = map[string]checker{}
				}
				cc.defs[name] = nil
				c, err := cc.compileValue(target, depth+1)
				if err == nil {
					c, err = cc.guard(name, c)
				}
				if err != nil {
					delete(cc.defs, name)
					return nil, err
				}
				cc.defs[name] = c
				return c, nil
			}
		}
	}
	e := v.Eval()
	if op, _ := e.Expr(); op == cue.SelectorOp {
		return nil, unsupported{"unresolvable reference"}
	}
	switch e.IncompleteKind() {
	case cue.StructKind, cue.ListKind:
		return nil, unsupported{"reference to a composite value"}
	}
	return cc.compileValue(e, depth+1)
}

// top accepts anything (CUE's _).
type top struct{}

func (top) check(any, *[]insertion) bool { return true }

type anyOf []checker

func (a anyOf) check(v any, fill *[]insertion) bool {
	for _, c := range a {
		mark := len(*fill)
		if c.check(v, fill) {
			return true
		}
		*fill = (*fill)[:mark]
	}
	return false
}

type allOf []checker

func (a allOf) check(v any, fill *[]insertion) bool {
	for _, c := range a {
		if !c.check(v, fill) {
			return false
		}
	}
	return true
}

// field is one declared field of a struct.
type field struct {
	checker  checker
	required bool // name!: a value must be given
	optional bool // name?: may be absent
	// For a regular field, what CUE fills in when the manifest lacks it,
	// or nil when a missing value is an error.
	fallback any
}

type structChecker struct {
	fields   map[string]*field
	regular  []string // regular fields, in order, for filling defaults
	patterns []pattern
	open     bool     // undeclared fields that no pattern matches are allowed
	needed   []string // the fields whose absence is an error (settle)
}

// settle lists the fields a value must have: the required ones, and the
// regular ones without a fallback. A check then looks up those, not every
// field the struct declares.
func (s *structChecker) settle() {
	s.needed = s.needed[:0]
	for name, f := range s.fields {
		if !f.optional && (f.required || f.fallback == nil) {
			s.needed = append(s.needed, name)
		}
	}
	slices.Sort(s.needed)
}

type pattern struct {
	label checker // checks the field name
	value checker
}

// probeLabel is a field name no schema declares, to ask CUE whether a
// struct admits undeclared fields.
const probeLabel = "\x00ork-probe"

func (cc *compiler) compileStruct(v cue.Value, depth int) (checker, error) {
	if !v.Exists() {
		return nil, unsupported{"missing struct"}
	}
	s := &structChecker{fields: map[string]*field{}, open: v.Allows(cue.Str(probeLabel))}
	it, err := v.Fields(cue.Optional(true), cue.Patterns(true))
	if err != nil {
		return nil, unsupported{"struct fields: " + err.Error()}
	}
	for it.Next() {
		sel := it.Selector()
		fv := it.Value()
		if sel.ConstraintType() == cue.PatternConstraint {
			label, err := cc.compileValue(sel.Pattern(), depth+1)
			if err != nil {
				return nil, err
			}
			value, err := cc.compileValue(fv, depth+1)
			if err != nil {
				return nil, err
			}
			s.patterns = append(s.patterns, pattern{label: label, value: value})
			continue
		}
		if sel.LabelType() != cue.StringLabel {
			continue // definitions and hidden fields are not data
		}
		c, err := cc.compileValue(fv, depth+1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sel.Unquoted(), err)
		}
		f := &field{checker: c}
		switch sel.ConstraintType() {
		case cue.RequiredConstraint:
			f.required = true
		case cue.OptionalConstraint:
			f.optional = true
		default:
			f.fallback = fallbackOf(fv)
			s.regular = append(s.regular, sel.Unquoted())
		}
		s.fields[sel.Unquoted()] = f
	}
	s.settle()
	return s, nil
}

// fallbackOf is the value CUE gives an absent regular field: its default,
// or its value when that is concrete; nil when absence is an error.
func fallbackOf(v cue.Value) any {
	d, _ := v.Default()
	if d.Validate(cue.Concrete(true)) != nil {
		return nil
	}
	var out any
	if d.Decode(&out) != nil {
		return nil
	}
	return normalize(out)
}

func (s *structChecker) check(v any, fill *[]insertion) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for k, val := range m {
		f, declared := s.fields[k]
		if declared && !f.checker.check(val, fill) {
			return false
		}
		matched := false
		for _, p := range s.patterns {
			if p.label.check(k, fill) {
				matched = true
				if !p.value.check(val, fill) {
					return false
				}
			}
		}
		if !declared && !matched && !s.open {
			return false
		}
	}
	for _, name := range s.needed {
		if _, present := m[name]; !present {
			return false
		}
	}
	for _, name := range s.regular {
		if _, present := m[name]; !present {
			*fill = append(*fill, insertion{into: m, key: name, value: s.fields[name].fallback})
		}
	}
	return true
}

// listChecker checks a list: its first items against prefix, the rest
// against elem; without elem the list has exactly len(prefix) items.
type listChecker struct {
	prefix []checker
	elem   checker
}

func (cc *compiler) compileList(v cue.Value, depth int) (checker, error) {
	items, err := v.List()
	if err != nil {
		return nil, unsupported{"list: " + err.Error()}
	}
	var l listChecker
	for items.Next() {
		c, err := cc.compileValue(items.Value(), depth+1)
		if err != nil {
			return nil, err
		}
		l.prefix = append(l.prefix, c)
	}
	if elem := v.LookupPath(cue.MakePath(cue.AnyIndex)); elem.Exists() {
		c, err := cc.compileValue(elem, depth+1)
		if err != nil {
			return nil, err
		}
		l.elem = c
	}
	return l, nil
}

func (l listChecker) check(v any, fill *[]insertion) bool {
	items, ok := v.([]any)
	if !ok || len(items) < len(l.prefix) || (l.elem == nil && len(items) != len(l.prefix)) {
		return false
	}
	for i, item := range items {
		c := l.elem
		if i < len(l.prefix) {
			c = l.prefix[i]
		}
		if !c.check(item, fill) {
			return false
		}
	}
	return true
}

// kindChecker accepts values of the given CUE kinds.
type kindChecker cue.Kind

func (k kindChecker) check(v any, _ *[]insertion) bool {
	return cue.Kind(k)&kindOf(v) != 0
}

func kindOf(v any) cue.Kind {
	switch v.(type) {
	case nil:
		return cue.NullKind
	case bool:
		return cue.BoolKind
	case int64:
		return cue.IntKind
	case float64:
		return cue.FloatKind
	case string:
		return cue.StringKind
	case []any:
		return cue.ListKind
	case map[string]any:
		return cue.StructKind
	}
	return cue.BottomKind
}

type literal struct{ value any }

func (l literal) check(v any, _ *[]insertion) bool { return v == l.value }

type notEqual struct{ value any }

func (n notEqual) check(v any, _ *[]insertion) bool {
	return kindOf(v) == kindOf(n.value) && v != n.value
}

type match struct {
	re     *regexp.Regexp
	negate bool
	// Verdicts on short strings already seen: label keys and values,
	// names and ports repeat across manifests, and a regular expression
	// costs more than a lookup.
	seen  *sync.Map
	count *atomic.Int32
}

const (
	maxMatchCache = 4096 // verdicts kept per regular expression
	maxCachedLen  = 64   // longest string whose verdict is kept
)

func newMatch(re *regexp.Regexp, negate bool) match {
	return match{re: re, negate: negate, seen: &sync.Map{}, count: &atomic.Int32{}}
}

func (m match) check(v any, _ *[]insertion) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if len(s) > maxCachedLen {
		return m.re.MatchString(s) != m.negate
	}
	// v, not s, is the key: s would be boxed again for each lookup.
	if ok, hit := m.seen.Load(v); hit {
		return ok.(bool)
	}
	verdict := m.re.MatchString(s) != m.negate
	if m.count.Load() < maxMatchCache {
		m.count.Add(1)
		m.seen.Store(v, verdict)
	}
	return verdict
}

type bound struct {
	op    cue.Op
	limit any // int64, float64 or string
}

func (b bound) check(v any, _ *[]insertion) bool {
	var c int
	switch x := v.(type) {
	case int64:
		switch l := b.limit.(type) {
		case int64:
			c = cmpOrdered(x, l)
		case float64:
			c = cmpOrdered(float64(x), l)
		default:
			return false
		}
	case float64:
		switch l := b.limit.(type) {
		case int64:
			c = cmpOrdered(x, float64(l))
		case float64:
			c = cmpOrdered(x, l)
		default:
			return false
		}
	case string:
		l, ok := b.limit.(string)
		if !ok {
			return false
		}
		c = cmpOrdered(x, l)
	default:
		return false
	}
	switch b.op {
	case cue.LessThanOp:
		return c < 0
	case cue.LessThanEqualOp:
		return c <= 0
	case cue.GreaterThanOp:
		return c > 0
	case cue.GreaterThanEqualOp:
		return c >= 0
	}
	return false
}

func cmpOrdered[T int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (cc *compiler) compileScalar(v cue.Value, depth int) (checker, error) {
	if v.IsConcrete() {
		var x any
		if err := v.Decode(&x); err != nil {
			return nil, unsupported{"literal: " + err.Error()}
		}
		x = normalize(x)
		switch f := x.(type) {
		case nil, bool, int64, string:
			return literal{x}, nil
		case float64:
			if !math.IsInf(f, 0) && !math.IsNaN(f) {
				return literal{x}, nil
			}
		}
		return nil, unsupported{fmt.Sprintf("literal %v", v)}
	}
	op, args := v.Expr()
	switch op {
	case cue.NoOp:
		// A value with a default (*1 | int & >=0) shows as NoOp around the
		// non-default disjuncts: compile those.
		if len(args) == 1 {
			if inner, _ := args[0].Expr(); inner != cue.NoOp {
				return cc.compileValue(args[0], depth+1)
			}
		}
		k := v.IncompleteKind()
		if k == cue.TopKind {
			return top{}, nil
		}
		if k&^(cue.NullKind|cue.BoolKind|cue.IntKind|cue.FloatKind|cue.StringKind) != 0 {
			return nil, unsupported{fmt.Sprintf("kind %v", k)}
		}
		return kindChecker(k), nil
	case cue.AndOp:
		var all allOf
		for _, a := range args {
			c, err := cc.compileValue(a, depth+1)
			if err != nil {
				return nil, err
			}
			all = append(all, c)
		}
		// A bound alone (>=0) also limits the kind: int & >=0 says int.
		if k := v.IncompleteKind(); k != cue.TopKind {
			all = append(all, kindChecker(k))
		}
		return all, nil
	case cue.LessThanOp, cue.LessThanEqualOp, cue.GreaterThanOp, cue.GreaterThanEqualOp:
		lim, err := concrete(args)
		if err != nil {
			return nil, err
		}
		switch lim.(type) {
		case int64, float64, string:
			return allOf{bound{op: op, limit: lim}, kindChecker(v.IncompleteKind())}, nil
		}
		return nil, unsupported{"bound on " + fmt.Sprint(lim)}
	case cue.RegexMatchOp, cue.NotRegexMatchOp:
		lim, err := concrete(args)
		if err != nil {
			return nil, err
		}
		s, ok := lim.(string)
		if !ok {
			return nil, unsupported{"regular expression that is not a string"}
		}
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, unsupported{"regular expression: " + err.Error()}
		}
		return newMatch(re, op == cue.NotRegexMatchOp), nil
	case cue.NotEqualOp:
		lim, err := concrete(args)
		if err != nil {
			return nil, err
		}
		return notEqual{lim}, nil
	}
	return nil, unsupported{fmt.Sprintf("operator %v", op)}
}

// concrete decodes the single concrete operand of a unary constraint.
func concrete(args []cue.Value) (any, error) {
	if len(args) != 1 || !args[0].IsConcrete() {
		return nil, unsupported{"constraint without one concrete operand"}
	}
	var x any
	if err := args[0].Decode(&x); err != nil {
		return nil, unsupported{err.Error()}
	}
	return normalize(x), nil
}

// embeddedDefinitions lists the top-level definitions that a struct value
// unifies (its expression is #A & {…} or {#A, …}), and those that they
// embed in turn.
func (cc *compiler) embeddedDefinitions(v cue.Value, depth int) []string {
	op, args := v.Expr()
	if depth > maxCompileDepth {
		return nil
	}
	switch op {
	case cue.SelectorOp:
		if len(args) == 2 {
			if name, err := args[1].String(); err == nil && strings.HasPrefix(name, "#") {
				out := []string{name}
				if def := cc.root.LookupPath(cue.MakePath(cue.Def(name))); def.Exists() {
					for _, n := range cc.embeddedDefinitions(def, depth+1) {
						if !slices.Contains(out, n) {
							out = append(out, n)
						}
					}
				}
				return out
			}
		}
	case cue.AndOp:
		var out []string
		for _, a := range args {
			for _, n := range cc.embeddedDefinitions(a, depth+1) {
				if !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
		return out
	}
	return nil
}

// structOf finds the struct checker below guards and rules.
func structOf(c checker) (*structChecker, bool) {
	switch x := c.(type) {
	case *structChecker:
		return x, true
	case guarded:
		return x.st, true
	case ruled:
		return x.st, true
	}
	return nil, false
}

// guard wraps the checker of definition name with its conditions, if it
// has any (see guard.go and rule.go).
func (cc *compiler) guard(name string, c checker) (checker, error) {
	cond, has := cc.conditions[name]
	if !has {
		return c, nil
	}
	st, isStruct := structOf(c)
	if !cond.ok || !isStruct {
		return nil, unsupported{name + " holds a comprehension the checker cannot follow"}
	}
	out := c
	if len(cond.guards) > 0 {
		out = guarded{inner: out, st: st, guards: cond.guards}
	}
	if len(cond.rules) == 0 {
		return out, nil
	}
	r := ruled{inner: out, st: st}
	for _, c := range cond.rules {
		rl, err := compileRule(c, st.fields)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r.rules = append(r.rules, rl)
	}
	return r, nil
}
