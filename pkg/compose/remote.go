package compose

import (
	"context"
	"fmt"
	"sync"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/lock"
	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/source/git"
	"github.com/orkdev/ork/pkg/source/oci"
)

// remoteLayer is a remote source at one pin, fetched once however many
// environments use it.
type remoteLayer struct {
	once  sync.Once
	layer *layer
	err   error
}

// request is what a remote source asks for, as the lock records it.
func request(s komposer.Source) lock.Pin {
	switch {
	case s.Git != nil:
		// The lock and the bundle show the URL without credentials; the
		// fetch uses the Komposer's.
		return lock.Pin{Type: "git", Location: git.Public(s.Git.URL), Ref: s.Git.Ref, Path: s.Git.Path}
	case s.OCI != "":
		return lock.Pin{Type: "oci", Location: s.OCI}
	}
	return lock.Pin{}
}

// pin returns the environment's pin of a remote source: the lock's, else
// the pin of the environment it comes after, else the ref resolved now. A
// pin added is recorded in the lock (which --locked forbids).
func (b *builder) pin(ctx context.Context, env *komposer.Environment, s komposer.Source) (lock.Pin, error) {
	if from := b.pinEnvironment(env.Name); from != env.Name {
		def, _ := b.k.Environment(from)
		return b.pin(ctx, def, s)
	}
	want := request(s)
	p, ok := b.opts.Lock.Get(env.Name, s.Name)
	if ok && p.Asks(want.Type, want.Location, want.Ref, want.Path) {
		return p, nil
	}
	if r := b.opts.Revision; r != nil {
		return p, manifest.Errorf(s.Pos, s.Name, "environment %s: the ork.lock of revision %s has no pin for source %q made for this %s location, ref and path; a build --at a revision resolves nothing", env.Name, r.Ref, s.Name, want.Type)
	}
	if b.opts.Locked {
		if ok {
			return p, manifest.Errorf(s.Pos, s.Name, "environment %s: the pin of source %q in ork.lock was made for another %s location, ref or path, and --locked forbids replacing it; run `ork lock --update %s` and commit ork.lock", env.Name, s.Name, want.Type, s.Name)
		}
		return p, manifest.Errorf(s.Pos, s.Name, "environment %s: ork.lock has no pin for source %q, and --locked forbids adding one; run `ork lock` and commit ork.lock", env.Name, s.Name)
	}
	if env.After != "" {
		prev, _ := b.k.Environment(env.After)
		p, err := b.pin(ctx, prev, s)
		if err != nil {
			return p, err
		}
		p.Promoted = prev.Name // the environment it was copied from
		b.opts.Lock.Set(env.Name, s.Name, p)
		return p, nil
	}
	id, err := b.resolve(ctx, s, want)
	if err != nil {
		return p, err
	}
	want.ID = id
	b.opts.Lock.Set(env.Name, s.Name, want)
	return want, nil
}

// resolve asks the remote for the id a floating ref names, once per run.
func (b *builder) resolve(ctx context.Context, s komposer.Source, want lock.Pin) (string, error) {
	key := want.Type + "\x00" + want.Location + "\x00" + want.Ref
	if id, ok := b.resolved[key]; ok {
		return id, nil
	}
	var id string
	var err error
	switch want.Type {
	case "git":
		if b.opts.Git == nil {
			return "", manifest.Errorf(s.Pos, s.Name, "source %q: no Git client configured", s.Name)
		}
		id, err = b.opts.Git.Resolve(ctx, s.Git.URL, want.Ref)
	case "oci":
		if b.opts.OCI == nil {
			return "", manifest.Errorf(s.Pos, s.Name, "source %q: no OCI client configured", s.Name)
		}
		id, err = b.opts.OCI.Resolve(ctx, want.Location)
	default:
		return "", manifest.Errorf(s.Pos, s.Name, "%s sources are not supported by this build of ork yet", want.Type)
	}
	if err != nil {
		return "", manifest.Errorf(s.Pos, s.Name, "source %q: %v", s.Name, err)
	}
	b.resolved[key] = id
	return id, nil
}

// source returns the layer of one source for an environment.
func (b *builder) source(ctx context.Context, env komposer.Environment, s komposer.Source) (*layer, error) {
	if local(s) {
		return b.paths[s.Name], nil
	}
	p, ok := b.opts.Lock.Get(b.pinEnvironment(env.Name), s.Name)
	if !ok {
		return nil, manifest.Errorf(s.Pos, s.Name, "environment %s: source %q has no pin", env.Name, s.Name)
	}
	key := s.Name + "\x00" + p.ID
	b.mu.Lock()
	rl := b.remote[key]
	if rl == nil {
		rl = &remoteLayer{}
		b.remote[key] = rl
	}
	b.mu.Unlock()
	rl.once.Do(func() { rl.layer, rl.err = b.fetch(ctx, s, p) })
	if rl.err != nil {
		return nil, rl.err
	}
	// The layer is shared; its pin names where this environment's came from.
	l := *rl.layer
	l.pin.From = p.Promoted
	return &l, nil
}

// fetch reads a remote source at its pin and decodes it.
func (b *builder) fetch(ctx context.Context, s komposer.Source, p lock.Pin) (*layer, error) {
	switch p.Type {
	case "git":
		if b.opts.Git == nil {
			return nil, manifest.Errorf(s.Pos, s.Name, "source %q: no Git client configured", s.Name)
		}
		tree, err := b.opts.Git.Tree(ctx, s.Git.URL, p.Ref, p.ID, p.Path)
		if err != nil {
			return nil, manifest.Errorf(s.Pos, s.Name, "source %q: %v", s.Name, err)
		}
		display := func(rel string) string { return fmt.Sprintf("%s@%s:%s", s.Name, shortID(p.ID), joinPath(p.Path, rel)) }
		l, _, err := b.decodeTree(s.Name, tree, display, nil)
		if err != nil {
			return nil, err
		}
		l.pin = bundle.Pin{Name: s.Name, Type: "git", Location: p.Location, Ref: p.Ref, Path: p.Path, ID: p.ID}
		return l, nil
	case "oci":
		if b.opts.OCI == nil {
			return nil, manifest.Errorf(s.Pos, s.Name, "source %q: no OCI client configured", s.Name)
		}
		tree, err := b.opts.OCI.Tree(ctx, p.Location, p.ID)
		if err != nil {
			return nil, manifest.Errorf(s.Pos, s.Name, "source %q: %v", s.Name, err)
		}
		l, _, err := b.decodeTree(s.Name, tree, artifactDisplay(s.Name, p.ID), nil)
		if err != nil {
			return nil, err
		}
		l.pin = bundle.Pin{Name: s.Name, Type: "oci", Location: p.Location, Ref: p.Ref, ID: p.ID}
		return l, nil
	}
	return nil, manifest.Errorf(s.Pos, s.Name, "%s sources are not supported by this build of ork yet", p.Type)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func joinPath(dir, rel string) string {
	if dir == "" || dir == "." {
		return rel
	}
	return dir + "/" + rel
}

// LockOptions say which pins `ork lock` moves.
type LockOptions struct {
	Update  bool     // re-resolve floating refs (environments without after only)
	Sources []string // only these sources; empty: all remote sources
}

// Move is a pin that Lock added or moved: of a source, or of an image.
type Move struct {
	Environment, Source string
	Image               string // the image as written, for an image's pin (Source is then empty)
	From, To            string // ids; From is empty for a new pin
}

// Lock adds the missing pins of the selected environments to opts.Lock,
// and with Update re-resolves the floating refs of those that have no
// after (an environment with after moves only by promotion). Pins of
// sources or environments the Komposer no longer has are dropped. It
// fetches nothing but ref lists, unless the Komposer pins images: then,
// with no SOURCE named, it builds each environment to find its images,
// pins them the same way, and drops the pins of images no longer used.
func Lock(ctx context.Context, opts Options, lo LockOptions) ([]Move, error) {
	k := opts.Komposer
	envs, err := selectEnvironments(opts)
	if err != nil {
		return nil, err
	}
	if opts.Lock == nil {
		opts.Lock = &lock.Lock{}
	}
	var problems problemList
	wanted := map[string]bool{}
	for _, name := range lo.Sources {
		var found *komposer.Source
		for i := range k.Sources {
			if k.Sources[i].Name == name {
				found = &k.Sources[i]
			}
		}
		switch {
		case found == nil:
			problems.addErr(fmt.Errorf("%s: no source %q", k.Display, name))
		case local(*found):
			problems.addErr(manifest.Errorf(found.Pos, name, "source %q is %s source; its files are versioned with the repository, not pinned", name, localKind(*found)))
		}
		wanted[name] = true
	}
	if len(problems) > 0 {
		return nil, problems.err()
	}
	before := opts.Lock.Clone()
	b := &builder{opts: opts, k: k, resolved: map[string]string{}}
	for i := range envs {
		env := &envs[i]
		for _, s := range k.Sources {
			if local(s) || (len(wanted) > 0 && !wanted[s.Name]) {
				continue
			}
			if lo.Update && env.After == "" {
				if p, ok := opts.Lock.Get(env.Name, s.Name); ok {
					want := request(s)
					asked := p.Ref
					if p.Type == "oci" {
						asked = p.Location // an OCI location carries its tag or digest
					}
					if !IsImmutable(p.Type, asked) || !p.Asks(want.Type, want.Location, want.Ref, want.Path) {
						delete(opts.Lock.Environments[env.Name], s.Name)
					}
				}
			}
			if _, err := b.pin(ctx, env, s); err != nil {
				problems.addErr(err)
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems.err()
	}
	if k.PinImages && len(lo.Sources) == 0 {
		// Images are known once each Katalog is built: build them, pins
		// of images added (or, with Update, moved) on the way.
		wopts := opts
		wopts.updateImages = lo.Update
		var mu sync.Mutex
		used := map[string][]string{}
		names, err := Walk(ctx, wopts, func(_ int, kat *Katalog) error {
			mu.Lock()
			defer mu.Unlock()
			used[kat.Env.Name] = kat.Images
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, env := range names {
			pruneImages(opts.Lock, env, used[env])
		}
	}
	prune(opts.Lock, k)
	var moves []Move
	for _, env := range k.Environments {
		for _, s := range k.Sources {
			old, had := before.Get(env.Name, s.Name)
			now, has := opts.Lock.Get(env.Name, s.Name)
			if has && (!had || old.ID != now.ID) {
				m := Move{Environment: env.Name, Source: s.Name, To: now.ID}
				if had {
					m.From = old.ID
				}
				moves = append(moves, m)
			}
		}
		moves = append(moves, imageMoves(before, opts.Lock, env.Name)...)
	}
	return moves, nil
}

// IsImmutable reports whether a ref names one version forever (a commit
// id, an OCI location with a digest), so that --update has nothing to move.
// For oci, ref is the location.
func IsImmutable(typ, ref string) bool {
	return typ == "git" && git.IsCommit(ref) || typ == "oci" && oci.IsImmutable(ref)
}

// prune drops pins of environments and sources the Komposer no longer has,
// and every image pin if it no longer pins images.
func prune(l *lock.Lock, k *komposer.Komposer) {
	for env := range l.Images {
		if _, ok := k.Environment(env); !ok || !k.PinImages {
			delete(l.Images, env)
		}
	}
	for env, pins := range l.Environments {
		if _, ok := k.Environment(env); !ok {
			delete(l.Environments, env)
			continue
		}
		for name := range pins {
			keep := false
			for _, s := range k.Sources {
				if s.Name == name && !local(s) {
					keep = true
				}
			}
			if !keep {
				delete(pins, name)
			}
		}
	}
}
