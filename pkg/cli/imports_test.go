package cli

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/orkdev/ork/"

// TestImports enforces the direction of imports: cli -> compose ->
// komposer/source/schema/merge/manifest, and bundle, which a runtime
// imports, on the standard library and a YAML package only. Nothing but
// the CLI may depend on the CLI library.
func TestImports(t *testing.T) {
	forbidden := map[string][]string{
		// package: imports it must not have (prefixes)
		"pkg/bundle":      {module, "cuelang.org/", "github.com/go-git/", "oras.land/", "github.com/urfave/"},
		"pkg/manifest":    {module},
		"pkg/merge":       {module, "go.yaml.in/", "cuelang.org/"},
		"pkg/source":      {module},
		"pkg/source/file": {module + "pkg/compose", module + "pkg/cli", module + "pkg/schema"},
		"pkg/source/oci":  {module + "pkg/compose", module + "pkg/cli", module + "pkg/schema", "cuelang.org/"},
		"pkg/schema":      {module + "pkg/compose", module + "pkg/cli", module + "pkg/komposer", module + "pkg/bundle"},
		"pkg/komposer":    {module + "pkg/compose", module + "pkg/cli", module + "pkg/bundle"},
		"pkg/compose":     {module + "pkg/cli"},
		"pkg/scaffold":    {module + "pkg/cli", module + "pkg/compose"},
		"pkg/workload":    {module},
		"pkg/suggest":     {module},
		"pkg/fieldpath":   {module},
		"pkg/orkestra":    {module},
	}
	allowedInBundle := map[string]bool{"go.yaml.in/yaml/v3": true}
	root := filepath.Join("..", "..")
	seen := 0
	err := filepath.WalkDir(filepath.Join(root, "pkg"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		pkg := filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			seen++
			if strings.HasPrefix(path, "github.com/urfave/cli") && pkg != "pkg/cli" {
				t.Errorf("%s imports the CLI library (%s); only pkg/cli may", p, path)
			}
			for _, bad := range forbidden[pkg] {
				if strings.HasPrefix(path, bad) {
					t.Errorf("%s imports %s, against the direction of imports", p, path)
				}
			}
			if pkg == "pkg/bundle" && strings.Contains(strings.Split(path, "/")[0], ".") && !allowedInBundle[path] {
				t.Errorf("%s imports %s; a runtime imports pkg/bundle, which may use only the standard library and YAML", p, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 50 {
		t.Fatalf("only %d imports seen; is the walk looking in the right place?", seen)
	}
	main, err := os.ReadFile(filepath.Join(root, "cmd", "ork", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(main), "\n"); n > 30 {
		t.Errorf("cmd/ork/main.go has %d lines; keep it a thin call into pkg/cli", n)
	}
}
