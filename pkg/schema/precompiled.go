package schema

import (
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/token"

	"github.com/orkdev/ork/pkg/codec"
)

// Checkers compiled when ork is built. Compiling a kind's checker at run
// time takes a CUE evaluation of every schema file (about 9 ms) and then of
// the kind (13 ms for a Deployment), most of a small run's CPU time; the
// checkers of every kind are compiled ahead instead, written to
// checkers.bin and embedded, and a run decodes them in about a
// millisecond. TestPrecompiledCheckers fails when the file is not what
// compiling the embedded schemas gives (ORK_UPDATE=1 rewrites it). The file
// records the digest of what it was compiled from (checkersDigest), so a
// binary built from edited schemas or compiler without rewriting it
// compiles its checkers at run time, as before.
//
//go:embed checkers.bin
var checkersFile []byte

const checkersMagic = "ork checkers 1\n"

// precompiled is the checker of every kind the schemas define, nil for a
// kind CUE checks alone; nil when checkers.bin does not belong to the
// embedded schemas.
var precompiled = sync.OnceValue(func() map[[2]string]checker {
	return loadCheckers(checkersFile, checkersDigest())
})

// loadCheckers decodes data if it was compiled from what digest names.
func loadCheckers(data []byte, digest string) map[[2]string]checker {
	got, kinds, err := decodeCheckers(data)
	if err != nil || got != digest {
		return nil
	}
	return kinds
}

// compilerFiles are this package's files that decide what a checker is:
// a checker compiled by other code is not used.
//
//go:embed compile.go guard.go rule.go precompiled.go
var compilerFiles embed.FS

// checkersDigest identifies what the checkers are compiled from: the
// embedded schema files, the compiler's source and the CUE language
// version (which names the CUE release; the module version is not known
// to a test binary, which writes checkers.bin).
var checkersDigest = sync.OnceValue(func() string {
	h := sha256.New()
	h.Write([]byte(schemaFilesDigest()))
	names, _ := fs.Glob(compilerFiles, "*.go")
	for _, name := range names {
		src, _ := fs.ReadFile(compilerFiles, name)
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(src))
		h.Write(src)
	}
	h.Write([]byte(cue.LanguageVersion()))
	return hex.EncodeToString(h.Sum(nil))
})

// encodeCheckers writes every kind's checker, in the order of their keys.
// A struct reached twice (a definition used in several places) is written
// once and referred to by its number afterwards, so decoding shares it as
// compiling does.
func encodeCheckers(digest string, kinds map[[2]string]checker) ([]byte, error) {
	e := checkerEncoder{out: []byte(checkersMagic), structs: map[*structChecker]uint64{}}
	e.out = codec.AppendString(e.out, digest)
	e.out = binary.AppendUvarint(e.out, uint64(len(kinds)))
	keys := make([][2]string, 0, len(kinds))
	for k := range kinds {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if a[0] != b[0] {
			return cmpOrdered(a[0], b[0])
		}
		return cmpOrdered(a[1], b[1])
	})
	for _, k := range keys {
		e.out = codec.AppendString(e.out, k[0])
		e.out = codec.AppendString(e.out, k[1])
		if kinds[k] == nil {
			e.out = append(e.out, 0)
			continue
		}
		e.out = append(e.out, 1)
		if err := e.checker(kinds[k]); err != nil {
			return nil, fmt.Errorf("%s %s: %w", k[0], k[1], err)
		}
	}
	return e.out, nil
}

type checkerEncoder struct {
	out     []byte
	structs map[*structChecker]uint64
}

func (e *checkerEncoder) value(v any) error {
	var ok bool
	if e.out, ok = codec.AppendValue(e.out, v); !ok {
		return fmt.Errorf("value %v (%T) cannot be written", v, v)
	}
	return nil
}

func (e *checkerEncoder) uint(n uint64) { e.out = binary.AppendUvarint(e.out, n) }

func (e *checkerEncoder) str(s string) { e.out = codec.AppendString(e.out, s) }

func (e *checkerEncoder) flag(b bool) {
	if b {
		e.out = append(e.out, 1)
	} else {
		e.out = append(e.out, 0)
	}
}

// writeList writes tag, the number of items and each item.
func writeList[T any](e *checkerEncoder, tag byte, items []T, write func(T) error) error {
	e.out = append(e.out, tag)
	e.uint(uint64(len(items)))
	for _, x := range items {
		if err := write(x); err != nil {
			return err
		}
	}
	return nil
}

func (e *checkerEncoder) checkers(tag byte, cs []checker) error {
	return writeList(e, tag, cs, e.checker)
}

func (e *checkerEncoder) checker(c checker) error {
	switch x := c.(type) {
	case top:
		e.out = append(e.out, 'T')
	case anyOf:
		return e.checkers('O', x)
	case allOf:
		return e.checkers('A', x)
	case *structChecker:
		if id, seen := e.structs[x]; seen {
			e.out = append(e.out, 'R')
			e.uint(id)
			return nil
		}
		e.structs[x] = uint64(len(e.structs))
		e.out = append(e.out, 'S')
		e.flag(x.open)
		names := make([]string, 0, len(x.fields))
		for name := range x.fields {
			names = append(names, name)
		}
		slices.Sort(names)
		e.uint(uint64(len(names)))
		for _, name := range names {
			f := x.fields[name]
			e.str(name)
			e.flag(f.required)
			e.flag(f.optional)
			e.flag(f.fallback != nil)
			if f.fallback != nil {
				if err := e.value(f.fallback); err != nil {
					return err
				}
			}
			if err := e.checker(f.checker); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		e.uint(uint64(len(x.regular)))
		for _, name := range x.regular {
			e.str(name)
		}
		e.uint(uint64(len(x.patterns)))
		for _, p := range x.patterns {
			if err := e.checker(p.label); err != nil {
				return err
			}
			if err := e.checker(p.value); err != nil {
				return err
			}
		}
	case listChecker:
		if err := e.checkers('L', x.prefix); err != nil {
			return err
		}
		e.flag(x.elem != nil)
		if x.elem != nil {
			return e.checker(x.elem)
		}
	case kindChecker:
		e.out = append(e.out, 'K')
		e.uint(uint64(x))
	case literal:
		e.out = append(e.out, 'V')
		return e.value(x.value)
	case notEqual:
		e.out = append(e.out, 'N')
		return e.value(x.value)
	case match:
		e.out = append(e.out, 'M')
		e.str(x.re.String())
		e.flag(x.negate)
	case bound:
		e.out = append(e.out, 'B')
		e.uint(uint64(x.op))
		return e.value(x.limit)
	case guarded:
		e.out = append(e.out, 'G')
		if err := e.checker(x.inner); err != nil {
			return err
		}
		if err := e.checker(x.st); err != nil {
			return err
		}
		e.uint(uint64(len(x.guards)))
		for _, g := range x.guards {
			e.str(g.field)
			if err := e.value(g.value); err != nil {
				return err
			}
		}
	case ruled:
		e.out = append(e.out, 'U')
		if err := e.checker(x.inner); err != nil {
			return err
		}
		if err := e.checker(x.st); err != nil {
			return err
		}
		e.uint(uint64(len(x.rules)))
		for _, r := range x.rules {
			e.str(r.name)
			if err := e.clauses(r.clauses); err != nil {
				return fmt.Errorf("rule %s: %w", r.name, err)
			}
		}
	default:
		return fmt.Errorf("checker %T cannot be written", c)
	}
	return nil
}

func (e *checkerEncoder) clauses(cs []clause) error {
	e.uint(uint64(len(cs)))
	for _, c := range cs {
		e.str(c.key)
		e.str(c.value)
		for _, x := range []expr{c.source, c.cond} {
			e.flag(x != nil)
			if x == nil {
				continue
			}
			if err := e.expr(x); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *checkerEncoder) exprs(tag byte, xs []expr) error {
	return writeList(e, tag, xs, e.expr)
}

func (e *checkerEncoder) expr(x expr) error {
	switch x := x.(type) {
	case constExpr:
		e.out = append(e.out, 'c')
		return e.value(x.v)
	case varRef:
		e.out = append(e.out, 'v')
		e.str(string(x))
	case fieldRef:
		e.out = append(e.out, 'f')
		e.str(string(x))
	case selectExpr:
		e.out = append(e.out, 's')
		e.str(x.name)
		return e.expr(x.base)
	case indexExpr:
		return e.exprs('x', []expr{x.base, x.index})
	case bottomTest:
		e.out = append(e.out, 'b')
		e.flag(x.equals)
		return e.expr(x.x)
	case notExpr:
		return e.exprs('!', []expr{x.x})
	case binaryExpr:
		e.out = append(e.out, '2')
		e.uint(uint64(x.op))
		if err := e.expr(x.l); err != nil {
			return err
		}
		return e.expr(x.r)
	case lenExpr:
		return e.exprs('#', []expr{x.x})
	case interpolationExpr:
		return e.exprs('i', x)
	case listExpr:
		e.out = append(e.out, 'l')
		e.uint(uint64(len(x)))
		for _, p := range x {
			switch p := p.(type) {
			case listItem:
				e.out = append(e.out, 'I')
				if err := e.expr(p.x); err != nil {
					return err
				}
			case compExpr:
				e.out = append(e.out, 'C')
				if err := e.clauses(p.clauses); err != nil {
					return err
				}
				if err := e.expr(p.body); err != nil {
					return err
				}
			default:
				return fmt.Errorf("list part %T cannot be written", p)
			}
		}
	default:
		return fmt.Errorf("expression %T cannot be written", x)
	}
	return nil
}

// decodeCheckers reads what encodeCheckers wrote: the digest of the schema
// files and every kind's checker.
func decodeCheckers(data []byte) (string, map[[2]string]checker, error) {
	if len(data) < len(checkersMagic) || string(data[:len(checkersMagic)]) != checkersMagic {
		return "", nil, errors.New("not a file of precompiled checkers")
	}
	d := checkerDecoder{r: codec.NewReader(data[len(checkersMagic):])}
	digest := d.r.String()
	n := d.r.Count()
	kinds := make(map[[2]string]checker, n)
	for range n {
		key := [2]string{d.r.String(), d.r.String()}
		var c checker
		if d.flag() {
			c = d.checker(0)
		}
		if d.err() != nil {
			return "", nil, fmt.Errorf("precompiled checker of %s %s: %w", key[0], key[1], d.err())
		}
		kinds[key] = c
	}
	if len(d.r.Rest()) != 0 && d.err() == nil {
		d.fail("%d bytes after the last checker", len(d.r.Rest()))
	}
	if d.err() != nil {
		return "", nil, d.err()
	}
	return digest, kinds, nil
}

type checkerDecoder struct {
	r       *codec.Reader
	structs []*structChecker
	regexps map[string]*regexp.Regexp
	bad     error
}

// maxDecodeDepth bounds the nesting of a decoded checker, as compiling
// bounds it (maxCompileDepth counts definitions; a rule adds expressions).
const maxDecodeDepth = 4 * maxCompileDepth

func (d *checkerDecoder) err() error {
	if d.bad != nil {
		return d.bad
	}
	return d.r.Err()
}

func (d *checkerDecoder) fail(format string, args ...any) {
	if d.bad == nil {
		d.bad = fmt.Errorf(format, args...)
	}
}

func (d *checkerDecoder) flag() bool { return d.r.Byte() == 1 }

func (d *checkerDecoder) value() any { return d.r.Value() }

// readList reads what writeList wrote after its tag: a number of items,
// each read by read at depth+1.
func readList[T any](d *checkerDecoder, depth int, read func(depth int) T) []T {
	n := d.r.Count()
	out := make([]T, 0, n)
	for range n {
		if d.err() != nil {
			return nil
		}
		out = append(out, read(depth+1))
	}
	return out
}

func (d *checkerDecoder) checkers(depth int) []checker { return readList(d, depth, d.checker) }

func (d *checkerDecoder) checker(depth int) checker {
	if depth > maxDecodeDepth {
		d.fail("checker nested too deeply")
	}
	if d.err() != nil {
		return top{}
	}
	switch tag := d.r.Byte(); tag {
	case 'T':
		return top{}
	case 'O':
		return anyOf(d.checkers(depth))
	case 'A':
		return allOf(d.checkers(depth))
	case 'R':
		id := d.r.Uvarint()
		if id >= uint64(len(d.structs)) {
			d.fail("reference to struct %d of %d", id, len(d.structs))
			return top{}
		}
		return d.structs[id]
	case 'S':
		s := &structChecker{}
		d.structs = append(d.structs, s)
		s.open = d.flag()
		n := d.r.Count()
		s.fields = make(map[string]*field, n)
		for range n {
			name := d.r.String()
			f := &field{required: d.flag(), optional: d.flag()}
			if d.flag() {
				f.fallback = d.value()
			}
			f.checker = d.checker(depth + 1)
			s.fields[name] = f
			if d.err() != nil {
				return top{}
			}
		}
		for range d.r.Count() {
			s.regular = append(s.regular, d.r.String())
		}
		for range d.r.Count() {
			if d.err() != nil {
				return top{}
			}
			s.patterns = append(s.patterns, pattern{label: d.checker(depth + 1), value: d.checker(depth + 1)})
		}
		s.settle()
		return s
	case 'L':
		l := listChecker{prefix: d.checkers(depth)}
		if d.flag() {
			l.elem = d.checker(depth + 1)
		}
		return l
	case 'K':
		return kindChecker(d.r.Uvarint())
	case 'V':
		return literal{d.value()}
	case 'N':
		return notEqual{d.value()}
	case 'M':
		// The same few expressions (names, labels) recur hundreds of
		// times, and compiling one costs more than decoding the rest: a
		// compiled expression is shared, each place keeps its own
		// verdicts as a compiled checker does.
		expr := d.r.String()
		negate := d.flag()
		re, seen := d.regexps[expr]
		if !seen {
			var err error
			if re, err = regexp.Compile(expr); err != nil {
				d.fail("regular expression: %w", err)
				return top{}
			}
			if d.regexps == nil {
				d.regexps = map[string]*regexp.Regexp{}
			}
			d.regexps[expr] = re
		}
		return newMatch(re, negate)
	case 'B':
		op := cue.Op(d.r.Uvarint())
		return bound{op: op, limit: d.value()}
	case 'G':
		g := guarded{inner: d.checker(depth + 1), st: d.structRef(depth)}
		for range d.r.Count() {
			g.guards = append(g.guards, guard{field: d.r.String(), value: d.value()})
		}
		return g
	case 'U':
		r := ruled{inner: d.checker(depth + 1), st: d.structRef(depth)}
		for range d.r.Count() {
			if d.err() != nil {
				return top{}
			}
			r.rules = append(r.rules, rule{name: d.r.String(), clauses: d.clauses(depth)})
		}
		return r
	default:
		d.fail("unknown checker tag %q", tag)
		return top{}
	}
}

// structRef reads the struct below a guard or rule.
func (d *checkerDecoder) structRef(depth int) *structChecker {
	s, ok := d.checker(depth + 1).(*structChecker)
	if !ok {
		d.fail("a guard or rule without its struct")
	}
	return s
}

func (d *checkerDecoder) clauses(depth int) []clause {
	n := d.r.Count()
	out := make([]clause, 0, n)
	for range n {
		if d.err() != nil {
			return nil
		}
		c := clause{key: d.r.String(), value: d.r.String()}
		if d.flag() {
			c.source = d.expr(depth + 1)
		}
		if d.flag() {
			c.cond = d.expr(depth + 1)
		}
		out = append(out, c)
	}
	return out
}

func (d *checkerDecoder) exprs(depth int) []expr { return readList(d, depth, d.expr) }

func (d *checkerDecoder) expr(depth int) expr {
	if depth > maxDecodeDepth {
		d.fail("expression nested too deeply")
	}
	if d.err() != nil {
		return constExpr{}
	}
	tag := d.r.Byte()
	switch tag {
	case 'c':
		return constExpr{d.value()}
	case 'v':
		return varRef(d.r.String())
	case 'f':
		return fieldRef(d.r.String())
	case 's':
		name := d.r.String()
		return selectExpr{base: d.expr(depth + 1), name: name}
	case 'x':
		if xs := d.exprs(depth); len(xs) == 2 {
			return indexExpr{xs[0], xs[1]}
		}
	case 'b':
		equals := d.flag()
		return bottomTest{x: d.expr(depth + 1), equals: equals}
	case '!':
		if xs := d.exprs(depth); len(xs) == 1 {
			return notExpr{xs[0]}
		}
	case '2':
		op := token.Token(d.r.Uvarint())
		l := d.expr(depth + 1)
		return binaryExpr{op: op, l: l, r: d.expr(depth + 1)}
	case '#':
		if xs := d.exprs(depth); len(xs) == 1 {
			return lenExpr{xs[0]}
		}
	case 'i':
		return interpolationExpr(d.exprs(depth))
	case 'l':
		var l listExpr
		for range d.r.Count() {
			switch part := d.r.Byte(); part {
			case 'I':
				l = append(l, listItem{d.expr(depth + 1)})
			case 'C':
				c := compExpr{clauses: d.clauses(depth)}
				c.body = d.expr(depth + 1)
				l = append(l, c)
			default:
				d.fail("unknown list part %q", part)
			}
			if d.err() != nil {
				return constExpr{}
			}
		}
		return l
	default:
		d.fail("unknown expression tag %q", tag)
		return constExpr{}
	}
	d.fail("expression %q with a wrong number of operands", tag)
	return constExpr{}
}
