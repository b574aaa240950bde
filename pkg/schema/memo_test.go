package schema

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/orkdev/ork/pkg/cache"
)

func memo(t *testing.T, dir string) *cache.Results {
	t.Helper()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Results("test", Digest())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCheckMemo: a document checked once is completed from the memo by
// the next Validator, which then compiles no schema; a document with
// violations is checked again every time; another document is not taken
// for the one remembered.
func TestCheckMemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	komposer := func(env string) map[string]any {
		return map[string]any{"apiVersion": "ork.dev/v1alpha1", "kind": "Komposer", "metadata": map[string]any{"name": "demo"},
			"sources":      []any{map[string]any{"name": "base", "path": "./base"}},
			"environments": []any{map[string]any{"name": env}},
			"bundle":       map[string]any{"name": "demo", "namespace": "demo"}}
	}
	first := New()
	first.SetMemo(memo(t, dir))
	want, violations, err := first.Check("#Komposer", komposer("dev"))
	if err != nil || len(violations) > 0 {
		t.Fatalf("Check: %v %v", violations, err)
	}
	unsaved := New()
	unsaved.SetMemo(memo(t, dir))
	if _, _, err := unsaved.Check("#Komposer", komposer("dev")); err != nil || unsaved.docCtx == nil {
		t.Fatalf("a check was remembered before SaveMemo (err %v)", err)
	}
	first.SaveMemo()

	for _, tc := range []struct {
		name     string
		doc      map[string]any
		compiles bool
	}{
		{"same document", komposer("dev"), false},
		{"other document", komposer("staging"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := New()
			v.SetMemo(memo(t, dir))
			got, violations, err := v.Check("#Komposer", tc.doc)
			if err != nil || len(violations) > 0 {
				t.Fatalf("Check: %v %v", violations, err)
			}
			if compiled := v.docCtx != nil; compiled != tc.compiles {
				t.Errorf("schemas compiled: %v, want %v", compiled, tc.compiles)
			}
			if !tc.compiles && !reflect.DeepEqual(got, want) {
				t.Errorf("remembered completion %v, want %v", got, want)
			}
			if fresh, _, _ := New().Check("#Komposer", tc.doc); !reflect.DeepEqual(got, fresh) {
				t.Errorf("completion %v differs from a check without memo: %v", got, fresh)
			}
		})
	}

	t.Run("violations", func(t *testing.T) {
		bad := komposer("dev")
		bad["environmnets"] = bad["environments"]
		for range 2 {
			v := New()
			v.SetMemo(memo(t, dir))
			if _, violations, err := v.Check("#Komposer", bad); err != nil || len(violations) == 0 {
				t.Fatalf("a misspelt field passed: %v %v", violations, err)
			}
		}
	})
}

// TestDocumentSchemasAlone: Check compiles only the schema files of ork's
// own documents; they must give what all the schema files give.
func TestDocumentSchemasAlone(t *testing.T) {
	all, err := compile()
	if err != nil {
		t.Fatal(err)
	}
	ctx, root, _, err := buildSchemas(documentSchemas)
	if err != nil {
		t.Fatal(err)
	}
	komposer := map[string]any{"apiVersion": "ork.dev/v1alpha1", "kind": "Komposer", "metadata": map[string]any{"name": "demo"},
		"sources":      []any{map[string]any{"name": "base", "git": map[string]any{"url": "https://example.com/r.git"}}},
		"environments": []any{map[string]any{"name": "dev", "production": true}, map[string]any{"name": "prod", "after": "dev"}},
		"images":       map[string]any{},
		"bundle":       map[string]any{"name": "demo", "namespace": "demo"}}
	misspelt := map[string]any{"apiVersion": "ork.dev/v1alpha1", "kind": "Komposer", "metadata": map[string]any{"name": "demo"},
		"sources": []any{}, "environmnets": []any{}, "bundle": map[string]any{"name": "demo"}}
	badName := map[string]any{"apiVersion": "ork.dev/v1alpha1", "kind": "Komposer", "metadata": map[string]any{"name": "Demo_1"},
		"sources": []any{map[string]any{"name": "base", "path": ""}}, "environments": []any{map[string]any{"name": "dev"}},
		"bundle": map[string]any{"name": "demo", "namespace": "demo"}}
	lock := map[string]any{"apiVersion": "ork.dev/v1alpha1", "kind": "Lock", "environments": map[string]any{
		"dev": map[string]any{"sources": map[string]any{"lib": map[string]any{"id": "abc", "type": "git", "location": "x"}}}}}
	for _, tc := range []struct {
		name, definition string
		doc              map[string]any
	}{
		{"komposer with defaults", "#Komposer", komposer},
		{"misspelt field", "#Komposer", misspelt},
		{"bad names", "#Komposer", badName},
		{"lock", "#Lock", lock},
		{"not a definition", "#Nothing", komposer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, wantViolations, wantErr := checkIn(all.ctx, all.root, tc.definition, tc.doc)
			got, gotViolations, gotErr := checkIn(ctx, root, tc.definition, tc.doc)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
				t.Errorf("alone: %v, %v\nall: %v, %v", got, gotErr, want, wantErr)
			}
			if fmt.Sprint(gotViolations) != fmt.Sprint(wantViolations) {
				t.Errorf("violations alone: %v\nall: %v", gotViolations, wantViolations)
			}
		})
	}
}
