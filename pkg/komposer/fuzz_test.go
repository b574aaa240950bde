package komposer_test

import (
	"testing"

	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/schema"
)

// FuzzParse feeds arbitrary bytes to Parse: it must not panic, and a
// Komposer it accepts has an after ladder that names declared environments
// and never loops.
func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	v := schema.New()
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := komposer.Parse("komposer.yaml", data, v)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Parse(%q) returned an empty error", data)
			}
			if k != nil {
				t.Fatalf("Parse(%q) returned a Komposer with its error", data)
			}
			return
		}
		if k == nil {
			t.Fatalf("Parse(%q) returned neither a Komposer nor an error", data)
		}
		if len(k.Environments) == 0 {
			t.Fatalf("Parse(%q) accepted a Komposer without environments", data)
		}
		names := map[string]bool{}
		for _, e := range k.Environments {
			if e.Name == "" || names[e.Name] {
				t.Fatalf("Parse(%q) accepted environment name %q twice or empty", data, e.Name)
			}
			names[e.Name] = true
		}
		for _, e := range k.Environments {
			if e.After != "" && !names[e.After] {
				t.Fatalf("Parse(%q) accepted environment %q after undeclared %q", data, e.Name, e.After)
			}
			seen := map[string]bool{}
			for cur := e.Name; cur != ""; {
				if seen[cur] {
					t.Fatalf("Parse(%q) accepted an after cycle through %q", data, cur)
				}
				seen[cur] = true
				next, _ := k.Environment(cur)
				cur = next.After
			}
		}
		sources := map[string]bool{}
		for _, s := range k.Sources {
			set := 0
			for _, x := range []bool{s.Path != "", s.OCI != "", s.Git != nil} {
				if x {
					set++
				}
			}
			if set != 1 || sources[s.Name] {
				t.Fatalf("Parse(%q) accepted source %+v", data, s)
			}
			sources[s.Name] = true
		}
	})
}
