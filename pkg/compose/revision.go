package compose

import (
	"fmt"
	"path"
	"path/filepath"

	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/lock"
	"github.com/orkdev/ork/pkg/schema"
	"github.com/orkdev/ork/pkg/source/git"
)

// Revision is a project as one commit of its repository holds it.
type Revision struct {
	Komposer *komposer.Komposer
	Lock     *lock.Lock
	Snapshot *git.Snapshot
}

// OpenRevision reads, through Git and without touching the working tree,
// the Komposer at komposerPath (an absolute path in the working tree) and
// its ork.lock as committed at rev. Building with the Komposer, the lock
// (Locked: nothing may be resolved) and Options.Revision set to the
// snapshot gives the bundles that rev produced.
func OpenRevision(komposerPath, rev string, v *schema.Validator) (*Revision, error) {
	dir := filepath.Dir(komposerPath)
	root := komposer.RepositoryRoot(dir)
	snap, err := git.OpenRevision(root, rev)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, komposerPath)
	if err != nil {
		return nil, err
	}
	rel = filepath.ToSlash(rel)
	data, err := snap.ReadFile(rel)
	if err != nil {
		return nil, fmt.Errorf("revision %s (commit %s) has no %s: %w", rev, shortID(snap.Commit), rel, err)
	}
	k, err := komposer.Parse(rev+":"+rel, data, v)
	if err != nil {
		return nil, err
	}
	k.Path, k.Dir, k.Root = komposerPath, dir, root
	l := &lock.Lock{}
	lockPath := path.Join(path.Dir(rel), lock.FileName)
	if data, err := snap.ReadFile(lockPath); err == nil {
		if l, err = lock.Parse(rev+":"+lockPath, data, v); err != nil {
			return nil, err
		}
	}
	return &Revision{Komposer: k, Lock: l, Snapshot: snap}, nil
}
