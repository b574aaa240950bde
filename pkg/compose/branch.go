package compose

import (
	"fmt"
	"path"
	"path/filepath"

	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/lock"
	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/source"
	"github.com/orkdev/ork/pkg/source/file"
	"github.com/orkdev/ork/pkg/source/git"
)

// forBranch returns the builder of an environment with branch: B, and the
// environment as B defines it. Everything comes from B as committed (the
// local branch, else origin's), read through Git without a checkout: the
// Komposer, its path sources and overlays, and its ork.lock. Pins are not
// added there, since ork writes no branch: a missing one is an error.
func (b *builder) forBranch(env komposer.Environment) (*builder, komposer.Environment, error) {
	k := b.k
	snap, err := git.OpenBranch(k.Root, env.Branch)
	if err != nil {
		return nil, env, manifest.Errorf(env.Pos, "", "environment %s: %v", env.Name, err)
	}
	rel, err := filepath.Rel(k.Root, k.Path)
	if err != nil {
		return nil, env, err
	}
	komposerPath := filepath.ToSlash(rel)
	data, err := snap.ReadFile(komposerPath)
	if err != nil {
		return nil, env, manifest.Errorf(env.Pos, "", "environment %s: branch %s has no %s: %v", env.Name, env.Branch, komposerPath, err)
	}
	bk, err := komposer.Parse(snap.Ref+":"+komposerPath, data, b.opts.Validator)
	if err != nil {
		return nil, env, fmt.Errorf("environment %s is built from branch %s, whose Komposer is invalid: %w", env.Name, env.Branch, err)
	}
	bk.Path, bk.Dir, bk.Root = k.Path, k.Dir, k.Root
	// An ephemeral environment is made from its origin's definition there.
	name := b.pinEnvironment(env.Name)
	def, ok := bk.Environment(name)
	if !ok {
		return nil, env, manifest.Errorf(env.Pos, "", "environment %s: the Komposer on branch %s does not define it", name, env.Branch)
	}
	branchEnv := *def
	branchEnv.Branch = "" // B's own definition, built from B
	if name != env.Name {
		branchEnv.Name, branchEnv.Production, branchEnv.After = env.Name, false, ""
	}

	opts := b.opts
	opts.Komposer = bk
	opts.Locked = true
	opts.Revision = nil
	opts.updateImages = false
	opts.Lock = &lock.Lock{}
	lockPath := path.Join(path.Dir(komposerPath), lock.FileName)
	if data, err := snap.ReadFile(lockPath); err == nil {
		l, err := lock.Parse(snap.Ref+":"+lockPath, data, b.opts.Validator)
		if err != nil {
			return nil, env, err
		}
		opts.Lock = l
	}
	bb := newBuilder(opts, bk)
	bb.snapshot = snap
	return bb, branchEnv, nil
}

// loadTree reads a path: source or overlay: from the working tree, or from
// the branch the builder reads. It returns the tree and a function that
// names its files in messages.
func (b *builder) loadTree(rel string) (*source.Tree, func(string) string, error) {
	if b.snapshot != nil {
		dir, err := filepath.Rel(b.k.Root, b.k.Dir)
		if err != nil {
			return nil, nil, err
		}
		komposerPath, _ := filepath.Rel(b.k.Root, b.k.Path)
		tree, base, err := b.snapshot.Load(filepath.ToSlash(dir), rel, filepath.ToSlash(komposerPath))
		if err != nil {
			return nil, nil, err
		}
		ref := b.snapshot.Ref
		return tree, func(p string) string { return ref + ":" + path.Join(base, p) }, nil
	}
	tree, base, err := file.Load(b.k.Root, b.k.Dir, rel, b.k.Path)
	if err != nil {
		return nil, nil, err
	}
	return tree, func(p string) string { return b.display(filepath.Join(base, filepath.FromSlash(p))) }, nil
}
