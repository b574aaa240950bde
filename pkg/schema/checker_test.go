package schema

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/orkdev/ork/pkg/manifest"
)

// corpus returns every manifest of the demo, the scaffold and testdata.
func corpus(t *testing.T) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, root := range []string{"../../testdata/demo", "../scaffold/template", "testdata/manifests"} {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(p) != ".yaml" || d.Name() == "komposer.yaml" {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			docs, err := manifest.Decode(p, "test", data)
			if err != nil {
				return err
			}
			for _, d := range docs {
				objs = append(objs, d.Object)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return objs
}

// variants returns obj with one change at each place: every field removed,
// every value replaced by values of other kinds and out of range, and an
// unknown field added to every map.
func variants(obj map[string]any) []map[string]any {
	replacements := []any{"x", "", "UPPER", "a.b", int64(70000), int64(65535), int64(-1), int64(0), 1.5, true, nil,
		map[string]any{"bogus": int64(1)}, []any{}, []any{"x"}, []any{map[string]any{"name": "x"}}}
	var out []map[string]any
	var walk func(path []string, v any)
	walk = func(path []string, v any) {
		if len(path) > 0 {
			out = append(out, edited(obj, path, nil, true))
			for _, r := range replacements {
				out = append(out, edited(obj, path, r, false))
			}
		}
		switch x := v.(type) {
		case map[string]any:
			out = append(out, edited(obj, append(path[:len(path):len(path)], "bogus"), "x", false))
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(append(path[:len(path):len(path)], k), x[k])
			}
		case []any:
			for i, e := range x {
				walk(append(path[:len(path):len(path)], strconv.Itoa(i)), e)
			}
		}
	}
	walk(nil, obj)
	return append(out, crossVariants(obj)...)
}

// crossVariants returns obj with one change that breaks a relation between
// fields rather than a field: an item of every list repeated (duplicate
// names, ports, mount paths), every name-like string replaced by the other
// names of the manifest, and every label map with a label taken away or
// added.
func crossVariants(obj map[string]any) []map[string]any {
	var names []string
	seen := map[string]bool{}
	var collect func(v any, key string)
	collect = func(v any, key string) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				collect(x[k], k)
			}
		case []any:
			for _, e := range x {
				collect(e, key)
			}
		case string:
			if !seen[x] && len(names) < 12 {
				seen[x] = true
				names = append(names, x)
			}
		}
	}
	collect(obj, "")
	var out []map[string]any
	var walk func(path []string, v any)
	walk = func(path []string, v any) {
		switch x := v.(type) {
		case map[string]any:
			last := ""
			if len(path) > 0 {
				last = path[len(path)-1]
			}
			if last == "labels" || last == "matchLabels" {
				for _, k := range slices.Sorted(maps.Keys(x)) {
					out = append(out, edited(obj, append(path[:len(path):len(path)], k), nil, true))
				}
				out = append(out, edited(obj, append(path[:len(path):len(path)], "extra"), "x", false))
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(append(path[:len(path):len(path)], k), x[k])
			}
		case []any:
			if len(x) > 0 {
				grown := append(slices.Clone(x), deepCopy(x[0]))
				out = append(out, edited(obj, path, grown, false))
			}
			// An item given a field of its neighbour: both of two
			// exclusive fields (value and valueFrom, port name and number).
			for i := 0; i+1 < len(x); i++ {
				a, aok := x[i].(map[string]any)
				b, bok := x[i+1].(map[string]any)
				if !aok || !bok {
					continue
				}
				for _, k := range slices.Sorted(maps.Keys(b)) {
					if _, has := a[k]; !has {
						out = append(out, edited(obj, append(path[:len(path):len(path)], strconv.Itoa(i), k), deepCopy(b[k]), false))
					}
				}
			}
			for i, e := range x {
				walk(append(path[:len(path):len(path)], strconv.Itoa(i)), e)
			}
		case string:
			switch path[len(path)-1] {
			case "name", "key", "mountPath", "operator", "type", "pathType", "group", "plural", "kind", "listKind":
				for _, n := range names {
					if n != x {
						out = append(out, edited(obj, path, n, false))
					}
				}
			}
		case bool:
			out = append(out, edited(obj, path, !x, false))
		}
	}
	walk(nil, obj)
	return out
}

// edited returns a copy of obj with the value at path set, or removed.
func edited(obj map[string]any, path []string, value any, remove bool) map[string]any {
	cp := deepCopy(obj).(map[string]any)
	var cur any = cp
	for i, sel := range path {
		last := i == len(path)-1
		switch x := cur.(type) {
		case map[string]any:
			if last {
				if remove {
					delete(x, sel)
				} else {
					x[sel] = value
				}
				return cp
			}
			cur = x[sel]
		case []any:
			n, _ := strconv.Atoi(sel)
			if last {
				if remove {
					copy(x[n:], x[n+1:])
					x[len(x)-1] = nil
					setAt(cp, path[:i], x[:len(x)-1])
				} else {
					x[n] = value
				}
				return cp
			}
			cur = x[n]
		}
	}
	return cp
}

func setAt(obj map[string]any, path []string, v any) {
	var cur any = obj
	for i, sel := range path {
		last := i == len(path)-1
		switch x := cur.(type) {
		case map[string]any:
			if last {
				x[sel] = v
				return
			}
			cur = x[sel]
		case []any:
			n, _ := strconv.Atoi(sel)
			if last {
				x[n] = v
				return
			}
			cur = x[n]
		}
	}
}

// TestCheckerAgreesWithCUE holds each compiled checker to CUE itself: on
// every manifest of the corpus and thousands of variants of them, a
// manifest the checker accepts must be one CUE accepts, completed with the
// same defaults. The checker may reject what CUE accepts (CUE then decides),
// but that costs speed, so it is counted and must stay rare. The checkers
// are written and read back as ork embeds them (checkers.bin, which
// TestPrecompiledCheckers holds to the same bytes).
func TestCheckerAgreesWithCUE(t *testing.T) {
	c, checkers := decodedCheckers(t)
	var checked, accepted, falseRejects int
	// How often each rule (schemas/kubernetes.cue) rejected a variant that
	// the checker rejected too: every rule must be exercised.
	ruleHits := map[string]int{}
	for _, cond := range c.conditions {
		for _, r := range cond.rules {
			name, _ := isRule(r)
			ruleHits[name] += 0
		}
	}
	for _, base := range corpus(t) {
		key := [2]string{base["apiVersion"].(string), base["kind"].(string)}
		chk := checkers[key]
		if chk == nil {
			continue
		}
		def := c.kinds[key]
		for i, v := range append([]map[string]any{base}, variants(base)...) {
			// Under the race detector, every fifth variant is enough to
			// exercise the code for races; the full set runs without it.
			if raceEnabled && i%5 != 0 {
				continue
			}
			checked++
			want := c.completeWithCUE(def, deepCopy(v).(map[string]any))
			got := deepCopy(v).(map[string]any)
			var fill []insertion
			ok := chk.check(got, &fill)
			for _, in := range fill {
				in.into[in.key] = deepCopy(in.value)
			}
			cueOK := len(want.Violations) == 0
			if !ok {
				for _, viol := range want.Violations {
					if viol.Rule != "" {
						ruleHits[viol.Rule]++
					}
				}
			}
			switch {
			case ok && !cueOK:
				t.Errorf("%v: checker accepts what CUE rejects (%v):\n%s", key, want.Violations, dump(v))
			case ok && !reflect.DeepEqual(got, want.Object):
				t.Errorf("%v: checker completes differently:\nchecker: %s\ncue:     %s", key, dump(got), dump(want.Object))
			case !ok && cueOK:
				falseRejects++
				if testing.Verbose() {
					t.Logf("%v: checker rejects what CUE accepts:\n%s", key, dump(v))
				}
			}
			if ok {
				accepted++
			}
		}
	}
	t.Logf("%d manifests checked, %d accepted, %d rejected by the checker alone", checked, accepted, falseRejects)
	for _, name := range slices.Sorted(maps.Keys(ruleHits)) {
		t.Logf("rule %s: %d variants rejected", name, ruleHits[name])
		if ruleHits[name] == 0 && !raceEnabled {
			t.Errorf("no variant breaks rule %s: the corpus does not cover it", name)
		}
	}
	if checked < 1000 && !raceEnabled || checked < 200 {
		t.Errorf("only %d manifests checked; the corpus is too small to mean anything", checked)
	}
	if falseRejects*100 > checked {
		t.Errorf("the checker sends %d of %d manifests back to CUE needlessly", falseRejects, checked)
	}
}

// TestEveryKindCompiles fails when a schema change makes a kind fall back to
// per-manifest CUE evaluation, which is an order of magnitude slower.
func TestEveryKindCompiles(t *testing.T) {
	c, err := compile()
	if err != nil {
		t.Fatal(err)
	}
	checkers, slow := c.compileCheckers()
	for key, why := range slow {
		t.Errorf("%v is checked by CUE alone: %s", key, why)
	}
	if len(checkers) < 10 {
		t.Errorf("only %d kinds compiled", len(checkers))
	}
}

// compileCheckers compiles every kind's definition; it also returns the
// kinds that do not compile, and why.
func (c *compiled) compileCheckers() (map[[2]string]checker, map[[2]string]string) {
	cc := &compiler{root: c.root, conditions: c.conditions}
	checkers := map[[2]string]checker{}
	slow := map[[2]string]string{}
	for key, def := range c.kinds {
		if chk, err := cc.compileValue(def, 0); err == nil {
			checkers[key] = chk
		} else {
			slow[key] = err.Error()
		}
	}
	return checkers, slow
}

func dump(v any) string { return fmt.Sprintf("%v", v) }
