// Package schema validates and completes manifests, the Komposer and the lock
// with ork's embedded CUE schemas, and evaluates users' CUE policies.
package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/orkdev/ork/pkg/codec"
	"github.com/orkdev/ork/pkg/suggest"
	"github.com/orkdev/ork/schemas"
)

// Violation is one way a value fails a schema or a policy.
type Violation struct {
	Path        []string    // the field, from the root of the value checked
	Msg         string      // CUE's message, without the path
	Constraints []token.Pos // where the constraints that failed are written
	Rule        string      // the cross-field rule broken (schemas/kubernetes.cue), if any
}

// Error formats the violation as path: message.
func (v Violation) Error() string {
	if len(v.Path) == 0 {
		return v.Msg
	}
	return strings.Join(v.Path, ".") + ": " + v.Msg
}

// compiled is the schema package built in one cue.Context. A context is not
// safe for concurrent use, so each worker owns one.
type compiled struct {
	ctx        *cue.Context
	root       cue.Value
	kinds      map[[2]string]cue.Value // (apiVersion, kind) -> definition
	conditions conditions              // the comprehensions of the definitions
}

func compile() (*compiled, error) {
	names, err := fs.Glob(schemas.FS, "*.cue")
	if err != nil {
		return nil, err
	}
	ctx, root, files, err := buildSchemas(names)
	if err != nil {
		return nil, err
	}
	c := &compiled{ctx: ctx, root: root, kinds: map[[2]string]cue.Value{}, conditions: findConditions(files)}
	versions, err := root.LookupPath(cue.ParsePath("#Kinds")).Fields(cue.Definitions(true))
	if err != nil {
		return nil, fmt.Errorf("embedded schema #Kinds: %w", err)
	}
	for versions.Next() {
		kinds, err := versions.Value().Fields(cue.Definitions(true))
		if err != nil {
			return nil, err
		}
		for kinds.Next() {
			c.kinds[[2]string{versions.Selector().Unquoted(), kinds.Selector().Unquoted()}] = kinds.Value()
		}
	}
	return c, nil
}

// documentSchemas are the files that define ork's own documents, the
// Komposer and the lock, which Check checks: they use nothing of the other
// files, and compiling them alone takes a small part of the time all the
// schemas take, at the start of every run that must check a Komposer
// (TestDocumentSchemasAlone holds them to the results of all the files).
var documentSchemas = []string{"komposer.cue", "lock.cue"}

// buildSchemas builds the embedded schema files names as one instance, in a
// context of its own.
func buildSchemas(names []string) (*cue.Context, cue.Value, []*ast.File, error) {
	ctx := cuecontext.New()
	inst := build.NewContext().NewInstance("schemas", nil)
	var files []*ast.File
	for _, name := range names {
		src, err := fs.ReadFile(schemas.FS, name)
		if err != nil {
			return nil, cue.Value{}, nil, err
		}
		f, err := parser.ParseFile("schemas/"+name, src, parser.ParseComments)
		if err != nil {
			return nil, cue.Value{}, nil, fmt.Errorf("embedded schema: %w", err)
		}
		if err := inst.AddSyntax(f); err != nil {
			return nil, cue.Value{}, nil, fmt.Errorf("embedded schema: %w", err)
		}
		files = append(files, f)
	}
	root := ctx.BuildInstance(inst)
	if err := root.Err(); err != nil {
		return nil, cue.Value{}, nil, fmt.Errorf("embedded schema: %w", err)
	}
	return ctx, root, files, nil
}

// Digest identifies the embedded schemas and the CUE version that evaluates
// them: what is kept under it (a checked Komposer, a bundle) stays true
// until either changes.
func Digest() string { return digest() }

var digest = sync.OnceValue(func() string {
	h := sha256.New()
	h.Write([]byte(schemaFilesDigest()))
	h.Write([]byte(CUEVersion()))
	return hex.EncodeToString(h.Sum(nil))
})

// schemaFilesDigest identifies the embedded schema files.
var schemaFilesDigest = sync.OnceValue(func() string {
	h := sha256.New()
	names, _ := fs.Glob(schemas.FS, "*.cue")
	for _, name := range names {
		src, _ := fs.ReadFile(schemas.FS, name)
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(src))
		h.Write(src)
	}
	return hex.EncodeToString(h.Sum(nil))
})

// Validator checks values against the embedded schemas on as many goroutines
// as there are CPUs. Each kind's checker is compiled once and shared; CUE
// itself, needed for a manifest a checker rejects and for the Komposer, the
// lock and policies, runs in a cue.Context per goroutine.
type Validator struct {
	pool chan *compiled
	size int
	mu   sync.Mutex
	made int

	once sync.Once
	err  error

	// Checkers are compiled on first use of a kind, with a CUE instance of
	// their own, so a Komposer of Deployments never pays for the others.
	checkMu  sync.Mutex
	checkCUE *compiled
	compiler *compiler
	checkers sync.Map // [2]string -> checker, or nil for kinds CUE checks alone
	prepared sync.Map // [2]string -> true once Prepare started its checker

	// compileAtRunTime makes the Validator compile its checkers from the
	// schemas rather than take those compiled when ork was built (for
	// tests of the compiler).
	compileAtRunTime bool

	definedAt sync.Map // [env, kind, name] -> manifest.Pos of a policy-defined manifest

	// The schemas of ork's own documents, for Check (documentSchemas).
	docOnce sync.Once
	docMu   sync.Mutex // a context is not safe for concurrent use
	docCtx  *cue.Context
	docRoot cue.Value
	docErr  error

	memo    Memo // what Check found in earlier runs, if set
	memoMu  sync.Mutex
	pending []memoEntry // what Check found in this run, for SaveMemo
}

type memoEntry struct {
	slot, key string
	payload   []byte
}

// A Memo keeps what Check found between runs: each payload under a slot,
// answering only for the key it was put with. It must tell apart the
// results of other schemas and other ork builds (cache.Results does).
type Memo interface {
	Get(slot, key string) ([]byte, bool)
	Put(slot, key string, payload ...[]byte) error
}

// SetMemo makes Check take the completion of a document it checked in an
// earlier run from m, and SaveMemo keep this run's there: a run whose
// Komposer and lock are unchanged then does not compile the schemas at all.
func (v *Validator) SetMemo(m Memo) { v.memo = m }

// SaveMemo keeps in the memo what Check completed in this run. It is
// called once a run has done what it was asked: a run that fails, or that
// only reads, leaves the cache as it was.
func (v *Validator) SaveMemo() {
	v.memoMu.Lock()
	defer v.memoMu.Unlock()
	for _, e := range v.pending {
		_ = v.memo.Put(e.slot, e.key, e.payload) // a failed write costs the next run time
	}
	v.pending = nil
}

// New returns a Validator. Schemas are compiled on first use.
func New() *Validator {
	n := runtime.GOMAXPROCS(0)
	return &Validator{pool: make(chan *compiled, n), size: n}
}

// precompiled returns the checkers compiled when ork was built, or nil
// when they must be compiled at run time.
func (v *Validator) precompiled() map[[2]string]checker {
	if v.compileAtRunTime {
		return nil
	}
	return precompiled()
}

// init compiles the schemas, once.
func (v *Validator) init() error {
	v.once.Do(func() {
		c, err := compile()
		if err != nil {
			v.err = err
			return
		}
		v.checkCUE = c
		v.compiler = &compiler{root: c.root, conditions: c.conditions}
	})
	return v.err
}

// checker returns the compiled checker of a kind, nil when CUE must check
// it, and whether ork knows the kind at all.
func (v *Validator) checker(key [2]string) (checker, bool) {
	if pre := v.precompiled(); pre != nil {
		c, ok := pre[key]
		return c, ok
	}
	if c, ok := v.checkers.Load(key); ok {
		chk, _ := c.(checker)
		return chk, true
	}
	v.checkMu.Lock()
	defer v.checkMu.Unlock()
	if c, ok := v.checkers.Load(key); ok {
		chk, _ := c.(checker)
		return chk, true
	}
	def, ok := v.checkCUE.kinds[key]
	if !ok {
		return nil, false
	}
	chk, err := v.compiler.compileValue(def, 0)
	if err != nil {
		v.checkers.Store(key, nil)
		return nil, true
	}
	v.checkers.Store(key, chk)
	return chk, true
}

// Prepare compiles the checker of a kind in the background, once, when the
// checkers were not compiled with ork, so that it is ready by the time the
// first manifest of the kind is validated:
// builds name kinds as they decode documents, and the compilation overlaps
// the decoding of the rest.
func (v *Validator) Prepare(apiVersion, kind string) {
	if v.precompiled() != nil {
		return
	}
	key := [2]string{apiVersion, kind}
	if _, ok := v.checkers.Load(key); ok {
		return
	}
	if _, started := v.prepared.LoadOrStore(key, true); started {
		return
	}
	go func() {
		if v.init() == nil {
			v.checker(key)
		}
	}()
}

// get returns a compiled schema set for the caller's exclusive use.
func (v *Validator) get() (*compiled, error) {
	// The checkers' own instance is compiled only when they are.
	if v.precompiled() == nil {
		if err := v.init(); err != nil {
			return nil, err
		}
	}
	select {
	case c := <-v.pool:
		return c, nil
	default:
	}
	v.mu.Lock()
	if v.made < v.size {
		v.made++
		v.mu.Unlock()
		return compile()
	}
	v.mu.Unlock()
	return <-v.pool, nil
}

func (v *Validator) put(c *compiled) { v.pool <- c }

// Result is the outcome of completing one manifest.
type Result struct {
	Object     map[string]any // the manifest with schema defaults filled in
	Violations []Violation
}

// chunk is how many manifests a worker takes at a time.
const chunk = 64

// Complete validates each manifest against the schema of its kind and fills
// in defaults, in place. Manifests of kinds without a schema are returned
// unchanged. Results are in the order of objs.
func (v *Validator) Complete(objs []map[string]any) ([]Result, error) {
	if v.precompiled() == nil {
		if err := v.init(); err != nil {
			return nil, err
		}
	}
	results := make([]Result, len(objs))
	workers := min(v.size, (len(objs)+chunk-1)/chunk)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	next := make(chan int, workers)
	go func() {
		for i := 0; i < len(objs); i += chunk {
			next <- i
		}
		close(next)
	}()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *compiled // taken only if a manifest needs CUE
			defer func() {
				if c != nil {
					v.put(c)
				}
			}()
			for start := range next {
				for i := start; i < min(start+chunk, len(objs)); i++ {
					r, ok := v.fast(objs[i])
					if !ok && errs[w] == nil {
						if c == nil {
							if c, errs[w] = v.get(); errs[w] != nil {
								continue
							}
						}
						r = c.complete(objs[i])
					}
					results[i] = r
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return results, nil
}

// fast completes obj with its kind's checker. It reports false when CUE
// must decide: the kind has no checker, or the checker rejects obj.
func (v *Validator) fast(obj map[string]any) (Result, bool) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	chk, known := v.checker([2]string{apiVersion, kind})
	if !known {
		return Result{Object: obj}, true
	}
	if chk == nil {
		return Result{}, false
	}
	fill := fills.Get().(*[]insertion)
	ok := chk.check(obj, fill)
	if ok {
		for _, in := range *fill {
			in.into[in.key] = deepCopy(in.value)
		}
	}
	clear((*fill)[:cap(*fill)]) // no manifest kept alive by the pool
	*fill = (*fill)[:0]
	fills.Put(fill)
	if !ok {
		return Result{}, false
	}
	return Result{Object: obj}, true
}

// fills are the lists of defaults to insert that checks gather, reused:
// a manifest has a few, and a list grown for each cost allocations.
var fills = sync.Pool{New: func() any { return new([]insertion) }}

// complete validates obj with CUE.
func (c *compiled) complete(obj map[string]any) Result {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	def, ok := c.kinds[[2]string{apiVersion, kind}]
	if !ok {
		return Result{Object: obj}
	}
	return c.completeWithCUE(def, obj)
}

// completeWithCUE unifies obj with def, reporting every violation found.
func (c *compiled) completeWithCUE(def cue.Value, obj map[string]any) Result {
	u := def.Unify(c.ctx.Encode(obj))
	err := u.Validate(cue.Concrete(true))
	if err == nil {
		var out map[string]any
		if err = u.Decode(&out); err == nil {
			return Result{Object: normalize(out).(map[string]any)}
		}
	}
	return Result{Object: obj, Violations: c.allViolations(def, obj, violations(err, def))}
}

// maxRechecks bounds how often a failing manifest is checked again.
const maxRechecks = 16

// allViolations finds the violations that CUE's first report hides: CUE
// stops at the first error below a struct, so a manifest with a misspelt
// field and a bad value would show only one. Each round removes the fields
// already reported from a copy and checks again.
func (c *compiled) allViolations(def cue.Value, obj map[string]any, found []Violation) []Violation {
	seen := map[string]bool{}
	for _, v := range found {
		seen[strings.Join(v.Path, ".")] = true
	}
	cur := deepCopy(obj).(map[string]any)
	last := found
	for range maxRechecks {
		removed := false
		for _, v := range last {
			// A rule's field is not the mistake alone: without it, the
			// rule's other fields would look wrong.
			if v.Rule == "" {
				removed = removePath(cur, v.Path) || removed
			}
		}
		if !removed {
			break
		}
		err := def.Unify(c.ctx.Encode(cur)).Validate(cue.Concrete(true))
		if err == nil {
			break
		}
		last = last[:0:0]
		for _, v := range violations(err, def) {
			key := strings.Join(v.Path, ".")
			if !seen[key] {
				seen[key] = true
				found = append(found, v)
				last = append(last, v)
			}
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].Error() < found[j].Error() })
	return found
}

// removePath deletes the map entry at path and reports whether it existed.
func removePath(obj map[string]any, path []string) bool {
	var cur any = obj
	for i, sel := range path {
		switch x := cur.(type) {
		case map[string]any:
			if i == len(path)-1 {
				_, ok := x[sel]
				delete(x, sel)
				return ok
			}
			cur = x[sel]
		case []any:
			n, err := strconv.Atoi(sel)
			if err != nil || n < 0 || n >= len(x) || i == len(path)-1 {
				return false
			}
			cur = x[n]
		default:
			return false
		}
	}
	return false
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// normalize turns the numbers CUE decodes into int64 or float64, the types
// the rest of ork uses.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
	case []any:
		for i, e := range t {
			t[i] = normalize(e)
		}
	case int:
		return int64(t)
	}
	return v
}

// violations flattens a CUE error into violations, sorted and deduplicated,
// with paths relative to the value checked against def.
func violations(err error, def cue.Value) []Violation {
	prefix := def.Path().Selectors()
	var out []Violation
	seen := map[string]bool{}
	errs := cueerrors.Errors(err)
	if len(errs) == 0 {
		return []Violation{{Msg: err.Error()}}
	}
	for _, e := range errs {
		format, args := e.Msg()
		path := e.Path()
		if len(path) >= len(prefix) {
			trim := true
			for i, sel := range prefix {
				if path[i] != sel.String() {
					trim = false
					break
				}
			}
			if trim {
				path = path[len(prefix):]
			}
		}
		for i, sel := range path {
			if u, err := strconv.Unquote(sel); err == nil {
				path[i] = u
			}
		}
		msg := fmt.Sprintf(format, args...)
		if strings.HasSuffix(msg, "errors in empty disjunction:") {
			continue // a header; the disjuncts' own errors follow
		}
		var rule string
		if len(path) > 0 && strings.HasPrefix(path[len(path)-1], "_") {
			rule = path[len(path)-1]
			path, msg = ruleViolation(path, msg)
		}
		if msg == "field not allowed" && len(path) > 0 {
			if s := suggest.Closest(path[len(path)-1], allowedFields(def, path[:len(path)-1])); s != "" {
				msg += "; did you mean " + s + "?"
			}
		}
		v := Violation{Path: path, Msg: msg, Rule: rule}
		for _, p := range e.InputPositions() {
			if p.IsValid() {
				v.Constraints = append(v.Constraints, p)
			}
		}
		if p := e.Position(); p.IsValid() && len(v.Constraints) == 0 {
			v.Constraints = append(v.Constraints, p)
		}
		key := v.Error()
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, v)
	}
	out = dropDefaultConflicts(out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Error() < out[j].Error() })
	return out
}

// allowedFields lists the fields that def allows at path (map keys, and list
// indexes in decimal): the fields of a closed struct, for a suggestion when
// a field is not allowed. It is empty when the schema there is not one
// struct (a disjunction, a pattern).
func allowedFields(def cue.Value, path []string) []string {
	v := def
	for _, p := range path {
		if _, err := strconv.Atoi(p); err == nil {
			v = v.LookupPath(cue.MakePath(cue.AnyIndex))
		} else {
			next := v.LookupPath(cue.MakePath(cue.Str(p)))
			for _, sel := range []cue.Selector{cue.Str(p).Optional(), cue.Str(p).Required()} {
				if next.Exists() {
					break
				}
				next = v.LookupPath(cue.MakePath(sel))
			}
			v = next
		}
		if !v.Exists() {
			return nil
		}
	}
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var out []string
	for it.Next() {
		if sel := it.Selector(); sel.IsString() {
			out = append(out, sel.Unquoted())
		}
	}
	return out
}

// ruleViolation moves a rule's error (schemas/kubernetes.cue: a hidden
// field set to error("path: message")) to the field the message names,
// relative to the value holding the rule, so that it is reported at that
// field's line.
func ruleViolation(path []string, msg string) ([]string, string) {
	if len(path) == 0 || !strings.HasPrefix(path[len(path)-1], "_") {
		return path, msg
	}
	rel, rest, ok := strings.Cut(msg, ": ")
	if !ok {
		return path[:len(path)-1], msg
	}
	p := cue.ParsePath(rel)
	if p.Err() != nil {
		return path[:len(path)-1], msg
	}
	out := slices.Clone(path[:len(path)-1])
	for _, sel := range p.Selectors() {
		s := sel.String()
		if u, err := strconv.Unquote(s); err == nil {
			s = u
		}
		out = append(out, s)
	}
	return out, rest
}

// literalConflict matches CUE's report that a value differs from another
// concrete value: for a field with a default, the default disjunct.
var literalConflict = regexp.MustCompile(`^conflicting values ("[^"]*"|-?[0-9.]+|true|false|null) and ("[^"]*"|-?[0-9.]+|true|false|null)( \(mismatched types \w+ and \w+\))?$`)

// dropDefaultConflicts removes, where a field has several violations, the
// ones that only say the value is not the default: "replicas: conflicting
// values "2" and 1" says nothing the type error beside it does not.
func dropDefaultConflicts(vs []Violation) []Violation {
	other := map[string]bool{} // paths with a violation that is not a literal conflict
	for _, v := range vs {
		if !literalConflict.MatchString(v.Msg) {
			other[strings.Join(v.Path, ".")] = true
		}
	}
	out := vs[:0]
	for _, v := range vs {
		if other[strings.Join(v.Path, ".")] && literalConflict.MatchString(v.Msg) {
			continue
		}
		out = append(out, v)
	}
	return out
}

// Check validates a document against one of the schema package's
// definitions (such as "#Komposer" or "#Lock") and returns it completed
// with defaults.
func (v *Validator) Check(definition string, doc any) (any, []Violation, error) {
	var slot, key string
	if v.memo != nil {
		if data, ok := codec.AppendValue([]byte(definition+"\x00"), doc); ok {
			sum := sha256.Sum256(data)
			slot, key = "check\x00"+definition, "sha256:"+hex.EncodeToString(sum[:])
			if payload, ok := v.memo.Get(slot, key); ok {
				if out, rest, err := codec.ReadValue(payload); err == nil && len(rest) == 0 {
					return out, nil, nil
				}
			}
		}
	}
	out, violations, err := v.check(definition, doc)
	if err == nil && len(violations) == 0 && key != "" {
		if payload, ok := codec.AppendValue(nil, out); ok {
			v.memoMu.Lock()
			v.pending = append(v.pending, memoEntry{slot, key, payload})
			v.memoMu.Unlock()
		}
	}
	return out, violations, err
}

func (v *Validator) check(definition string, doc any) (any, []Violation, error) {
	v.docOnce.Do(func() { v.docCtx, v.docRoot, _, v.docErr = buildSchemas(documentSchemas) })
	if v.docErr != nil {
		return nil, nil, v.docErr
	}
	v.docMu.Lock()
	defer v.docMu.Unlock()
	return checkIn(v.docCtx, v.docRoot, definition, doc)
}

// checkIn checks doc against definition of the schema instance root, built
// in ctx.
func checkIn(ctx *cue.Context, root cue.Value, definition string, doc any) (any, []Violation, error) {
	def := root.LookupPath(cue.ParsePath(definition))
	if !def.Exists() {
		return nil, nil, fmt.Errorf("no schema %s", definition)
	}
	u := def.Unify(ctx.Encode(doc))
	if err := u.Validate(cue.Concrete(true)); err != nil {
		return nil, violations(err, def), nil
	}
	var out any
	if err := u.Decode(&out); err != nil {
		return nil, violations(err, def), nil
	}
	return normalize(out), nil, nil
}
