package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ork": func() { os.Exit(Run(context.Background(), os.Args, os.Stdout, os.Stderr)) },
	})
}

// TestScript runs the end-to-end scripts of testdata/script. Each runs with
// a fresh HOME and cache directory; ORK_UPDATE=1 rewrites their golden files.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		UpdateScripts:       os.Getenv("ORK_UPDATE") == "1",
		RequireExplicitExec: true,
		Condition:           sshCondition,
		Setup: func(env *testscript.Env) error {
			home, err := freshHome(env)
			if err != nil {
				return err
			}
			// Git as the scripts' repositories need it, isolated from the
			// machine's configuration.
			env.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			env.Setenv("GIT_AUTHOR_NAME", "ork test")
			env.Setenv("GIT_AUTHOR_EMAIL", "test@ork.invalid")
			env.Setenv("GIT_COMMITTER_NAME", "ork test")
			env.Setenv("GIT_COMMITTER_EMAIL", "test@ork.invalid")
			env.Setenv("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
			env.Setenv("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
			return os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"), 0o644)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"tree":     cmdTree,
			"demo":     cmdDemo,
			"mutate":   cmdMutate,
			"gitserve": cmdGitServe,
			"expand":   cmdExpand,
			"sshserve": cmdSSHServe,
			"registry": cmdRegistry,
		},
	})
}

// tree DIR prints every file below DIR, with its size, so a script can assert
// that nothing but the declared outputs was written.
func cmdTree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tree DIR")
	}
	root := ts.MkAbs(args[0])
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel != "." {
				if entries, _ := os.ReadDir(p); len(entries) == 0 {
					lines = append(lines, filepath.ToSlash(rel)+"/")
				}
			}
			return nil
		}
		lines = append(lines, filepath.ToSlash(rel))
		return nil
	})
	ts.Check(err)
	sort.Strings(lines)
	if len(lines) == 0 {
		lines = append(lines, "(empty)")
	}
	for _, l := range lines {
		fmt.Fprintln(ts.Stdout(), l)
	}
}

// demo DIR copies the repository's demo Komposer into DIR.
func cmdDemo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: demo DIR")
	}
	src, err := filepath.Abs(filepath.Join("..", "..", "testdata", "demo"))
	ts.Check(err)
	dst := ts.MkAbs(args[0])
	ts.Check(os.CopyFS(dst, os.DirFS(src)))
}

// mutate FILE OLD NEW replaces the first OLD in FILE with NEW, failing if OLD
// is not there (so a script cannot silently test nothing).
func cmdMutate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: mutate FILE OLD NEW")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	if !strings.Contains(string(data), args[1]) {
		ts.Fatalf("%s does not contain %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(path, []byte(strings.Replace(string(data), args[1], args[2], 1)), 0o644))
}

// expand FILE... replaces ${NAME} in each file with the script's variable
// NAME (server URLs, commit ids), so fixtures can name what the script made.
func cmdExpand(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: expand FILE...")
	}
	for _, f := range args {
		path := ts.MkAbs(f)
		data, err := os.ReadFile(path)
		ts.Check(err)
		out := os.Expand(string(data), func(name string) string {
			if v := ts.Getenv(name); v != "" {
				return v
			}
			return "${" + name + "}"
		})
		ts.Check(os.WriteFile(path, []byte(out), 0o644))
	}
}

// freshHome gives a script a HOME and a cache directory of its own, empty,
// so that a script can assert what ork wrote and nothing leaks between
// scripts or from the machine.
func freshHome(env *testscript.Env) (string, error) {
	home := filepath.Join(env.WorkDir, ".home")
	env.Setenv("HOME", home)
	env.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	env.Setenv("ORK_CACHE_DIR", filepath.Join(env.WorkDir, ".cache"))
	env.Setenv("NO_COLOR", "")
	return home, os.MkdirAll(home, 0o755)
}
