package schema

import (
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"
)

// TestRuleInterpreter holds the rule interpreter to CUE on the corners of
// its language: absent fields, `_|_` tests, defaults, mismatched types,
// list comprehensions, interpolations. For each schema and value, the
// compiled checker may accept only what CUE accepts, and must reject what
// CUE rejects.
func TestRuleInterpreter(t *testing.T) {
	const schema = `package s

#S: {
	a?: [...{name!: string, n?: int}]
	m?: [string]: string
	t: *"x" | "y"
	s?: string
	k?: string

	if a != _|_ for i, p in a for j, q in a if j > i if p.name == q.name {
		_unique: error("a[\(j)].name: duplicate")
	}
	if m != _|_ for k, v in m if v == "bad" {
		_noBad: error("m.\(k): bad")
	}
	if t == "y" if s == _|_ {
		_sWithY: error("s: needed when t is y")
	}
	if s != _|_ if k != _|_ if s != "\(k)-suffix" {
		_interp: error("s: must be k-suffix")
	}
	if a != _|_ for p in a if p.n != _|_ if p.n > 3 && p.n < 10 {
		_range: error("a: n between 3 and 10")
	}
	if a != _|_ if len([for p in a if p.n != _|_ {p}]) > 2 {
		_fewNumbers: error("a: at most two n")
	}
}
`
	ctx := cuecontext.New()
	f, err := parser.ParseFile("s.cue", schema)
	if err != nil {
		t.Fatal(err)
	}
	inst := build.NewContext().NewInstance("s", nil)
	if err := inst.AddSyntax(f); err != nil {
		t.Fatal(err)
	}
	root := ctx.BuildInstance(inst)
	if err := root.Err(); err != nil {
		t.Fatal(err)
	}
	cc := &compiler{root: root, conditions: findConditions([]*ast.File{f})}
	def := root.LookupPath(cue.ParsePath("#S"))
	chk, err := cc.compileReference(def, []cue.Value{root, ctx.CompileString(`"#S"`)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := chk.(ruled); !ok {
		t.Fatalf("#S compiled to %T, without its rules", chk)
	}
	c := &compiled{ctx: ctx, root: root}
	item := func(name string, n ...int64) map[string]any {
		m := map[string]any{"name": name}
		if len(n) > 0 {
			m["n"] = n[0]
		}
		return m
	}
	tests := []struct {
		name  string
		value map[string]any
		ok    bool // CUE's verdict
		rule  string
	}{
		{"empty", map[string]any{}, true, ""},
		{"unique names", map[string]any{"a": []any{item("p"), item("q")}}, true, ""},
		{"duplicate names", map[string]any{"a": []any{item("p"), item("q"), item("p")}}, false, "_unique"},
		{"map value", map[string]any{"m": map[string]any{"x": "good"}}, true, ""},
		{"bad map value", map[string]any{"m": map[string]any{"x": "good", "y": "bad"}}, false, "_noBad"},
		{"default t without s", map[string]any{}, true, ""},
		{"t y without s", map[string]any{"t": "y"}, false, "_sWithY"},
		{"t y with s", map[string]any{"t": "y", "s": "z"}, true, ""},
		{"interpolation holds", map[string]any{"k": "a", "s": "a-suffix"}, true, ""},
		{"interpolation fails", map[string]any{"k": "a", "s": "b-suffix"}, false, "_interp"},
		{"and in range", map[string]any{"a": []any{item("p", 5)}}, false, "_range"},
		{"and out of range", map[string]any{"a": []any{item("p", 11)}}, true, ""},
		{"list comprehension under", map[string]any{"a": []any{item("p", 1), item("q", 2), item("r")}}, true, ""},
		{"list comprehension over", map[string]any{"a": []any{item("p", 1), item("q", 2), item("r", 0)}}, false, "_fewNumbers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := c.completeWithCUE(def, deepCopy(tt.value).(map[string]any))
			if cueOK := len(want.Violations) == 0; cueOK != tt.ok {
				t.Fatalf("CUE says %v (%v), the test expects %v", cueOK, want.Violations, tt.ok)
			}
			if !tt.ok && (len(want.Violations) == 0 || want.Violations[0].Rule != tt.rule) {
				t.Errorf("violations %+v, want rule %s", want.Violations, tt.rule)
			}
			var fill []insertion
			if got := chk.check(deepCopy(tt.value), &fill); got != tt.ok {
				t.Errorf("checker says %v, CUE %v", got, tt.ok)
			}
		})
	}
}

// TestNestedRuleIsNotIgnored: a rule below the top level of a definition is
// one the checker would not see, so the definition is left to CUE.
func TestNestedRuleIsNotIgnored(t *testing.T) {
	f, err := parser.ParseFile("n.cue", `package s

#N: {
	f?: {
		x?: int
		if x != _|_ if x > 1 {_r: error("x: at most 1")}
	}
}
`)
	if err != nil {
		t.Fatal(err)
	}
	cond, has := findConditions([]*ast.File{f})["#N"]
	if !has || cond.ok {
		t.Fatalf("conditions of #N: %+v, %v; want not ok", cond, has)
	}
}
