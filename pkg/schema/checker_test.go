package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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
// but that costs speed, so it is counted and must stay rare.
func TestCheckerAgreesWithCUE(t *testing.T) {
	c, err := compile()
	if err != nil {
		t.Fatal(err)
	}
	checkers, _ := c.compileCheckers()
	var checked, accepted, falseRejects int
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
	allowed := map[[2]string]bool{
		// metadata.name is computed from spec (plural.group): an
		// interpolation, which only CUE evaluates. CRDs are few.
		{"apiextensions.k8s.io/v1", "CustomResourceDefinition"}: true,
	}
	checkers, slow := c.compileCheckers()
	for key, why := range slow {
		if !allowed[key] {
			t.Errorf("%v is checked by CUE alone: %s", key, why)
		}
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
