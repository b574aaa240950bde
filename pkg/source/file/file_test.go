package file_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orkdev/ork/pkg/source"
	"github.com/orkdev/ork/pkg/source/file"
)

// write creates files under dir, each given as path and content.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
}

func paths(tree *source.Tree) []string {
	var out []string
	for _, f := range tree.Files {
		out = append(out, f.Path)
	}
	return out
}

// repo returns a temporary repository root, with outside/ next to it.
func repo(t *testing.T) (root, outside string) {
	t.Helper()
	tmp := t.TempDir()
	root = filepath.Join(tmp, "repo")
	outside = filepath.Join(tmp, "outside")
	write(t, outside, map[string]string{"secret.yaml": "kind: Secret\n", "dir/x.yaml": "kind: X\n"})
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return root, outside
}

func TestLoadDirectory(t *testing.T) {
	root, _ := repo(t)
	write(t, root, map[string]string{
		"komposer.yaml":            "kind: Komposer\n",
		"katalog/a-b.yaml":         "a-b",
		"katalog/a/b.yaml":         "a/b",
		"katalog/a.yaml":           "a",
		"katalog/z.yml":            "z",
		"katalog/data.json":        "{}",
		"katalog/policy.cue":       "package p\n",
		"katalog/README.md":        "not a manifest",
		"katalog/notes.txt":        "no",
		"katalog/a.yaml.orig":      "no",
		"katalog/.hidden.yaml":     "dot file",
		"katalog/.git/config.yaml": "dot dir",
		"katalog/sub/.x/y.yaml":    "nested dot dir",
		"katalog/sub/ok.yaml":      "ok",
		"katalog/skip-me.yaml":     "skipped",
	})
	if err := os.Mkdir(filepath.Join(root, "katalog", "dir.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	skip := filepath.Join(root, "katalog", "skip-me.yaml")
	tree, base, err := file.Load(root, root, "katalog", skip)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a/b.yaml", "a-b.yaml", "a.yaml", "data.json", "policy.cue", "sub/ok.yaml", "z.yml"}
	if got := paths(tree); !reflect.DeepEqual(got, want) {
		t.Errorf("paths = %q, want %q", got, want)
	}
	for _, f := range tree.Files {
		if want := strings.TrimSuffix(strings.TrimSuffix(f.Path, ".yaml"), ".yml"); f.Path != "data.json" && f.Path != "policy.cue" && f.Path != "sub/ok.yaml" && string(f.Data) != want {
			t.Errorf("%s holds %q, want %q", f.Path, f.Data, want)
		}
	}
	if base != filepath.Join(root, "katalog") {
		t.Errorf("base = %q, want %q", base, filepath.Join(root, "katalog"))
	}
	// Load gives the tree in the order Sort gives.
	sorted := &source.Tree{Files: append([]source.File(nil), tree.Files...)}
	sorted.Sort()
	if !reflect.DeepEqual(paths(sorted), paths(tree)) {
		t.Errorf("Load order %q is not Sort order %q", paths(tree), paths(sorted))
	}

	// The whole repository, skipping the Komposer itself.
	tree, _, err = file.Load(root, root, ".", filepath.Join(root, "komposer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths(tree) {
		if p == "komposer.yaml" {
			t.Errorf("the skipped Komposer was read")
		}
	}
	if got := len(tree.Files); got != 8 { // the 7 above and skip-me.yaml
		t.Errorf("got %d files from the repository: %q", got, paths(tree))
	}
}

func TestLoadRelativeToDir(t *testing.T) {
	root, _ := repo(t)
	write(t, root, map[string]string{"platform/komposer.yaml": "", "shared/a.yaml": "a"})
	// A Komposer in platform/ may name ../shared: it stays in the repository.
	tree, base, err := file.Load(root, filepath.Join(root, "platform"), "../shared")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(paths(tree), []string{"a.yaml"}) || base != filepath.Join(root, "shared") {
		t.Errorf("Load(../shared) = %q in %q", paths(tree), base)
	}
}

func TestLoadSingleFile(t *testing.T) {
	root, _ := repo(t)
	write(t, root, map[string]string{"katalog/apps/web.yaml": "kind: Deployment\n", "katalog/apps/other.yaml": "no"})
	tree, base, err := file.Load(root, root, "katalog/apps/web.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Files) != 1 || tree.Files[0].Path != "web.yaml" || string(tree.Files[0].Data) != "kind: Deployment\n" {
		t.Errorf("tree = %+v", tree.Files)
	}
	if want := filepath.Join(root, "katalog", "apps"); base != want {
		t.Errorf("base = %q, want the file's parent %q", base, want)
	}
}

func TestLoadRejects(t *testing.T) {
	root, outside := repo(t)
	write(t, root, map[string]string{"katalog/a.yaml": "a"})
	tests := []struct {
		name   string
		setup  func(t *testing.T)
		rel    string
		escape bool   // the error must wrap ErrEscape
		want   string // and mention this
	}{
		{name: "parent escape", rel: "../outside", escape: true, want: `"../outside"`},
		{name: "nested parent escape", rel: "katalog/../../outside", escape: true},
		{name: "parent escape to a file", rel: "../outside/secret.yaml", escape: true},
		{
			name:   "symlinked directory out of the root",
			setup:  func(t *testing.T) { symlink(t, outside, filepath.Join(root, "vendor")) },
			rel:    "vendor",
			escape: true,
		},
		{
			name:   "symlinked parent directory out of the root",
			setup:  func(t *testing.T) { symlink(t, outside, filepath.Join(root, "vendor2")) },
			rel:    "vendor2/dir",
			escape: true,
		},
		{
			name: "symlinked single file out of the root",
			setup: func(t *testing.T) {
				symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(root, "secret.yaml"))
			},
			rel:    "secret.yaml",
			escape: true,
		},
		{
			name: "symlinked file inside the tree pointing out of the root",
			setup: func(t *testing.T) {
				symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(root, "leaky", "secret.yaml"))
			},
			rel:    "leaky",
			escape: true,
			want:   "leaky/secret.yaml",
		},
		{
			name: "relative symlinked file pointing out of the root",
			setup: func(t *testing.T) {
				symlink(t, "../../outside/secret.yaml", filepath.Join(root, "leaky2", "secret.yaml"))
			},
			rel:    "leaky2",
			escape: true,
		},
		{name: "absolute path", rel: filepath.Join(root, "katalog"), want: "absolute"},
		{name: "missing path", rel: "nope", want: `"nope" does not exist`},
		{
			name:  "symlink to a directory that contains it",
			setup: func(t *testing.T) { symlink(t, "..", filepath.Join(root, "loop", "sub", "up")) },
			rel:   "loop",
			want:  "loop/sub/up: symlink to a directory that contains it (a loop)",
		},
		{
			name: "absolute symlink to an ancestor",
			setup: func(t *testing.T) {
				symlink(t, filepath.Join(root, "loop2"), filepath.Join(root, "loop2", "a", "b", "back"))
			},
			rel:  "loop2",
			want: "loop2/a/b/back: symlink to a directory that contains it (a loop)",
		},
		{
			name: "symlinks fanning out without a loop",
			setup: func(t *testing.T) {
				// fan/d0 holds two links to fan/d1, which holds two to
				// fan/d2, …: 2^20 paths from 21 directories.
				for i := range 20 {
					for _, l := range []string{"a", "b"} {
						symlink(t, filepath.Join(root, "fan", fmt.Sprintf("d%d", i+1)), filepath.Join(root, "fan", fmt.Sprintf("d%d", i), l))
					}
				}
				write(t, root, map[string]string{"fan/d20/x.yaml": "x"})
			},
			rel:  "fan/d0",
			want: "more than 10000 directories (through symlinks)",
		},
		{
			name: "symlinked directory inside the tree out of the root",
			setup: func(t *testing.T) {
				symlink(t, filepath.Join(outside, "dir"), filepath.Join(root, "vendored", "dir"))
			},
			rel:    "vendored",
			escape: true,
			want:   "vendored/dir: symlink leaves the repository",
		},
		{
			name: "dangling symlink",
			setup: func(t *testing.T) {
				symlink(t, filepath.Join(root, "gone.yaml"), filepath.Join(root, "dangling", "x.yaml"))
			},
			rel:  "dangling",
			want: "x.yaml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			tree, _, err := file.Load(root, root, tt.rel)
			if err == nil {
				t.Fatalf("Load(%q) = %q, want an error", tt.rel, paths(tree))
			}
			if errors.Is(err, file.ErrEscape) != tt.escape {
				t.Errorf("Load(%q) = %v; errors.Is(err, ErrEscape) = %v, want %v", tt.rel, err, !tt.escape, tt.escape)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(%q) = %v, want it to mention %s", tt.rel, err, tt.want)
			}
			if strings.Contains(err.Error(), "kind: Secret") {
				t.Errorf("the error leaks the outside file's content")
			}
		})
	}
}

// TestLoadSymlinkedDirectories: a symlink to a directory inside the root
// is followed, its files under the link's path, never skipped silently.
func TestLoadSymlinkedDirectories(t *testing.T) {
	root, _ := repo(t)
	write(t, root, map[string]string{"katalog/a.yaml": "a", "shared/apps/b.yaml": "b", "shared/apps/deep/c.yaml": "c"})
	symlink(t, filepath.Join(root, "shared", "apps"), filepath.Join(root, "katalog", "apps"))
	symlink(t, "../shared", filepath.Join(root, "katalog", "dir.yaml")) // a directory named like a manifest
	symlink(t, "../../shared/apps", filepath.Join(root, "katalog", "z", "twice"))
	tree, _, err := file.Load(root, root, "katalog")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.yaml", "apps/b.yaml", "apps/deep/c.yaml", "dir.yaml/apps/b.yaml", "dir.yaml/apps/deep/c.yaml", "z/twice/b.yaml", "z/twice/deep/c.yaml"}
	if got := paths(tree); !reflect.DeepEqual(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
}

func TestLoadSymlinksInsideRoot(t *testing.T) {
	root, _ := repo(t)
	write(t, root, map[string]string{"shared/common.yaml": "kind: Common\n", "katalog/a.yaml": "a", "real/b.yaml": "b"})
	symlink(t, filepath.Join(root, "shared", "common.yaml"), filepath.Join(root, "katalog", "common.yaml"))
	symlink(t, "../shared/common.yaml", filepath.Join(root, "katalog", "relative.yaml"))
	symlink(t, filepath.Join(root, "real"), filepath.Join(root, "linked"))

	tree, _, err := file.Load(root, root, "katalog")
	if err != nil {
		t.Fatal(err)
	}
	want := []source.File{
		{Path: "a.yaml", Data: []byte("a")},
		{Path: "common.yaml", Data: []byte("kind: Common\n")},
		{Path: "relative.yaml", Data: []byte("kind: Common\n")},
	}
	if !reflect.DeepEqual(tree.Files, want) {
		t.Errorf("files = %q, want %q", tree.Files, want)
	}

	// A source path that is a symlink to a directory inside the root.
	tree, _, err = file.Load(root, root, "linked")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(paths(tree), []string{"b.yaml"}) {
		t.Errorf("Load(linked) = %q", paths(tree))
	}

	// A root reached through a symlink.
	linkedRoot := filepath.Join(filepath.Dir(root), "repo-link")
	symlink(t, root, linkedRoot)
	tree, _, err = file.Load(linkedRoot, linkedRoot, "katalog")
	if err != nil {
		t.Fatalf("Load through a symlinked root: %v", err)
	}
	if !reflect.DeepEqual(tree.Files, want) {
		t.Errorf("files through a symlinked root = %q, want %q", tree.Files, want)
	}
}

func TestLoadDigest(t *testing.T) {
	root, _ := repo(t)
	write(t, root, map[string]string{"katalog/a.yaml": "a", "katalog/b/c.yaml": "c"})
	digest := func() string {
		t.Helper()
		tree, _, err := file.Load(root, root, "katalog")
		if err != nil {
			t.Fatal(err)
		}
		return tree.Digest()
	}
	d := digest()
	if again := digest(); again != d {
		t.Fatalf("digest is not stable: %s, %s", d, again)
	}
	// Ignored files and modification times do not count.
	write(t, root, map[string]string{"katalog/README.md": "docs", "katalog/.swp.yaml": "editor"})
	if err := os.Chtimes(filepath.Join(root, "katalog", "a.yaml"), timeZero, timeZero); err != nil {
		t.Fatal(err)
	}
	if got := digest(); got != d {
		t.Errorf("digest changed for ignored files or times: %s, %s", d, got)
	}
	// A change of content changes it.
	write(t, root, map[string]string{"katalog/a.yaml": "A"})
	changed := digest()
	if changed == d {
		t.Errorf("digest unchanged after a content change")
	}
	write(t, root, map[string]string{"katalog/a.yaml": "a"})
	if got := digest(); got != d {
		t.Errorf("digest differs after restoring the content")
	}
	// A rename changes it.
	if err := os.Rename(filepath.Join(root, "katalog", "b"), filepath.Join(root, "katalog", "d")); err != nil {
		t.Fatal(err)
	}
	if got := digest(); got == d {
		t.Errorf("digest unchanged after a rename")
	}
	// The same tree elsewhere on disk has the same digest.
	other, _ := repo(t)
	write(t, other, map[string]string{"katalog/a.yaml": "a", "katalog/b/c.yaml": "c"})
	tree, _, err := file.Load(other, other, "katalog")
	if err != nil {
		t.Fatal(err)
	}
	if tree.Digest() != d {
		t.Errorf("the same tree in another directory has another digest")
	}
}

var timeZero = time.Unix(0, 0)

// TestClosest checks the path suggested for one that does not exist.
func TestClosest(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"environments/dev", "environments/staging", "environments/production", "katalog/identity", ".hidden"} {
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(d)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "katalog", "identity", "keycloak.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ rel, want string }{
		{"./environments/stagin", "./environments/staging"},
		{"environments/prod", ""}, // too far from production
		{"./enviroments/dev", "./environments/dev"},
		{"./enviroments/deev", "./environments/dev"},
		{"katalog/identity/keycloack.yaml", "katalog/identity/keycloak.yaml"},
		{"./environments/qa", ""},
		{"./environments/dev", ""}, // exists: nothing to suggest
		{".hiden", ""},             // dot-entries are not read, so not suggested
	} {
		if got := file.Closest(root, root, tt.rel); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.rel, got, tt.want)
		}
	}
	_, _, err := file.Load(root, root, "./environments/stagin")
	if err == nil || err.Error() != `path "./environments/stagin" does not exist; did you mean ./environments/staging?` {
		t.Errorf("Load of a misspelt path: %v", err)
	}
}
