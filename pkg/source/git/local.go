package git

import (
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/orkdev/ork/pkg/source"
)

// ErrNoBranch is returned when a repository has neither the local branch
// nor origin's.
var ErrNoBranch = errors.New("no such branch")

// ErrNoRevision is returned for a revision that names no commit of the
// repository.
var ErrNoRevision = errors.New("unknown revision")

// Snapshot is one commit of a local repository, read through Git without a
// checkout: the working tree and the index are never touched.
type Snapshot struct {
	Branch string // as asked for; empty when opened by revision
	Ref    string // the reference it was found at
	Commit string
	tree   *object.Tree
}

// OpenBranch reads branch of the repository at repoDir: the local branch,
// else origin's.
func OpenBranch(repoDir, branch string) (*Snapshot, error) {
	repo, err := open(repoDir)
	if err != nil {
		return nil, err
	}
	for _, name := range []plumbing.ReferenceName{plumbing.NewBranchReferenceName(branch), plumbing.NewRemoteReferenceName("origin", branch)} {
		ref, err := repo.Reference(name, true)
		if err != nil {
			continue
		}
		c, err := repo.CommitObject(ref.Hash())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		t, err := c.Tree()
		if err != nil {
			return nil, err
		}
		return &Snapshot{Branch: branch, Ref: name.Short(), Commit: c.Hash.String(), tree: t}, nil
	}
	return nil, fmt.Errorf("branch %q: %w locally or at origin", branch, ErrNoBranch)
}

// OpenRevision reads the commit that rev names in the repository at
// repoDir: anything `git rev-parse` reads that go-git does too (a branch,
// origin's branch, a tag, a full or abbreviated commit id, HEAD~2, main^).
func OpenRevision(repoDir, rev string) (*Snapshot, error) {
	repo, err := open(repoDir)
	if err != nil {
		return nil, err
	}
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil && !strings.ContainsAny(rev, "~^:@") {
		// A branch that this clone has only as origin's.
		h, err = repo.ResolveRevision(plumbing.Revision("refs/remotes/origin/" + rev))
	}
	if err != nil {
		return nil, fmt.Errorf("revision %q: %w (not a branch, tag or commit of %s)", rev, ErrNoRevision, repoDir)
	}
	c, err := repo.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("revision %q: %w", rev, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, err
	}
	return &Snapshot{Ref: rev, Commit: c.Hash.String(), tree: t}, nil
}

func open(repoDir string) (*gogit.Repository, error) {
	repo, err := gogit.PlainOpenWithOptions(repoDir, &gogit.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, fmt.Errorf("%s is not in a Git repository: %w", repoDir, err)
	}
	return repo, nil
}

// ReadFile returns the file at p, a slash path from the repository root.
func (s *Snapshot) ReadFile(p string) ([]byte, error) {
	f, err := s.tree.File(p)
	if err != nil {
		return nil, fmt.Errorf("%s:%s: %w", s.Ref, p, err)
	}
	if f.Mode == filemode.Symlink {
		return nil, fmt.Errorf("%s:%s is a symlink; ork does not follow symlinks read through Git", s.Ref, p)
	}
	if err := source.CheckSize(f.Size); err != nil {
		return nil, fmt.Errorf("%s:%s: %w", s.Ref, p, err)
	}
	r, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// Load reads the file or directory rel, written relative to dir (both
// slash paths, dir from the repository root), as file.Load does on disk:
// the wanted files below it except those at the skip paths (the
// Komposer), no path that leaves the repository. It also returns the
// directory the tree's paths are relative to.
func (s *Snapshot) Load(dir, rel string, skip ...string) (*source.Tree, string, error) {
	if path.IsAbs(rel) {
		return nil, "", fmt.Errorf("path %q is absolute; write it relative to the Komposer", rel)
	}
	p := path.Join(dir, rel)
	if p == ".." || strings.HasPrefix(p, "../") {
		return nil, "", fmt.Errorf("path %q leaves the repository", rel)
	}
	if p == "." {
		p = ""
	}
	if f, err := s.tree.File(p); err == nil {
		if f.Mode == filemode.Symlink {
			return nil, "", fmt.Errorf("path %q is a symlink; ork does not follow symlinks read through Git", rel)
		}
		data, err := s.ReadFile(p)
		if err != nil {
			return nil, "", err
		}
		return &source.Tree{Files: []source.File{{Path: path.Base(p), Data: data}}}, path.Dir(p), nil
	}
	t := s.tree
	if p != "" {
		var err error
		if t, err = s.tree.Tree(p); err != nil {
			return nil, "", fmt.Errorf("path %q does not exist on %s", rel, s.Ref)
		}
	}
	out, err := wanted(t, p)
	if err != nil {
		return nil, "", err
	}
	kept := out.Files[:0]
	for _, f := range out.Files {
		if !slices.Contains(skip, path.Join(p, f.Path)) {
			kept = append(kept, f)
		}
	}
	out.Files = kept
	return out, p, nil
}

// wanted reads the files of t that a source holds.
func wanted(t *object.Tree, dir string) (*source.Tree, error) {
	out := &source.Tree{}
	err := t.Files().ForEach(func(f *object.File) error {
		name := f.Name
		if hidden(name) || !source.Wanted(name) || f.Mode == filemode.Submodule {
			return nil
		}
		if f.Mode == filemode.Symlink {
			return fmt.Errorf("%s is a symlink; ork does not follow symlinks read through Git", path.Join(dir, name))
		}
		if err := source.CheckSize(f.Size); err != nil {
			return fmt.Errorf("%s: %w", path.Join(dir, name), err)
		}
		r, err := f.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		out.Files = append(out.Files, source.File{Path: name, Data: data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Sort()
	return out, nil
}
