// Package compose builds each environment's Katalog: it loads the layers a
// Komposer names, merges them in order, expands templates, and completes and
// validates the result with the embedded schemas and the user's policies.
package compose

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/cache"
	"github.com/orkdev/ork/pkg/fieldpath"
	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/lock"
	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/merge"
	"github.com/orkdev/ork/pkg/orkestra"
	"github.com/orkdev/ork/pkg/schema"
	"github.com/orkdev/ork/pkg/source"
	"github.com/orkdev/ork/pkg/source/git"
	"github.com/orkdev/ork/pkg/source/oci"
	"github.com/orkdev/ork/pkg/suggest"
)

// Options say what to build.
type Options struct {
	Komposer     *komposer.Komposer
	Environments []string // empty: every environment, in the Komposer's order
	Validator    *schema.Validator
	WorkDir      string // messages show file paths relative to it

	// Lock holds the pins of remote sources. Build uses them and adds the
	// missing ones (resolved, or taken from the environment's after), so a
	// caller that writes the lock compares its bytes before and after.
	Lock *lock.Lock
	// Locked makes a missing or stale pin an error instead.
	Locked bool
	// Git fetches git: sources.
	Git *git.Fetcher
	// OCI fetches oci: sources (oci-layout: ones need none).
	OCI *oci.Client
	// Revision, when set, is the commit the Komposer was read from (see
	// OpenRevision): path sources, overlays and layouts are read from it,
	// through Git, instead of from the working tree.
	Revision *git.Snapshot
	// Ephemeral, when set, builds the one environment it describes.
	Ephemeral *Ephemeral
	// EnvValue, when set, is what $ENV and ${env.name} become instead of
	// the environment's name, so that two environments can be compared
	// without the differences their names make (ork diff --ignore-env-values).
	EnvValue string
	// Results, when set, keeps the documents decoded from sources and
	// overlays, and Bundles each environment's bundle, for later runs
	// (see results.go).
	Results *cache.Results
	// Current, when set, returns the bundle that an environment's bundle
	// would replace (the file on disk), or nil. Bundles compares it with
	// the kept bundle, without reading that (cache.Results.Holds), and
	// marks a bundle that is the current one already (Bundle.Current).
	Current func(env string) []byte
	// Reading, when set, is told the size of each source and overlay read
	// from a path: how much a build allocates grows with it (the CLI gives
	// the collector room in proportion). A build that keeps results reads
	// every overlay before it decodes any (to look its bundle up).
	Reading func(size int)

	// updateImages re-resolves the image pins of environments without
	// after (ork lock --update).
	updateImages bool

	// trace, set by Explain, records how the manifests it names are made.
	trace *tracer
	// share, set by Bundles, makes manifests that several environments
	// build from the same documents once for all of them (shared.go).
	share bool
}

// Katalog is one environment's completed, validated Katalog.
type Katalog struct {
	Env       Env
	IDs       []manifest.ID    // in bundle order
	Manifests []map[string]any // Manifests[i] has identity IDs[i]
	Pins      []bundle.Pin     // what the environment was built from
	Images    []string         // the images pinned in ork.lock it uses, as written, sorted
	Additions []Addition       // overlay documents that matched no source manifest
	byID      map[manifest.ID]*entry
	shared    []*sharedManifest // shared[i], when set, made Manifests[i] (see shared.go)
}

// Addition is a manifest that an overlay or override added rather than
// changed: worth a look, since a misspelt name in an overlay adds a
// manifest instead of patching one.
type Addition struct {
	ID     manifest.ID
	Pos    manifest.Pos
	Source string
}

// layer is one source, overlay or the overrides, loaded and decoded.
type layer struct {
	pin      bundle.Pin
	docs     []*manifest.Doc
	policies []schema.PolicyFile
	additive bool // overlays and overrides: new identities are reported
	overlay  bool // an environment's overlay: its manifests are not shared (see shared.go)
}

// entry is one manifest of an environment as the layers build it.
type entry struct {
	id     manifest.ID
	obj    map[string]any
	docs   []*manifest.Doc // the documents merged into it, in order
	own    bool            // an overlay wrote it: it is the environment's own
	shared *sharedManifest // when made once for all environments: obj is its, read-only
}

// Build returns the Katalog of each environment asked for. All problems
// found are returned together, each naming its file, line and source.
func Build(ctx context.Context, opts Options) ([]*Katalog, error) {
	var katalogs []*Katalog
	var mu sync.Mutex
	names, err := Walk(ctx, opts, func(i int, k *Katalog) error {
		mu.Lock()
		defer mu.Unlock()
		for len(katalogs) <= i {
			katalogs = append(katalogs, nil)
		}
		katalogs[i] = k
		return nil
	})
	if err != nil {
		return nil, err
	}
	return katalogs[:len(names)], nil
}

// Walk builds each environment asked for and calls each with its Katalog,
// possibly from several goroutines at once; i is the environment's place in
// the returned list of names. Environments are built in parallel and each
// is released once each returns, so memory grows with the largest
// environment, not with their number. All problems found are returned
// together; each may have been called for the environments without any.
func Walk(ctx context.Context, opts Options, each func(i int, k *Katalog) error) ([]string, error) {
	return walk(ctx, opts, nil, each)
}

// walk is Walk; hit, when set, is asked first with each environment's
// inputs digest (see builder.inputs) and reports whether it has the
// environment's result already, which is then not built.
func walk(ctx context.Context, opts Options, hit func(i int, env komposer.Environment, inputs string) bool, each func(i int, k *Katalog) error) ([]string, error) {
	k := opts.Komposer
	envs, err := selectEnvironments(opts)
	if err != nil {
		return nil, err
	}
	b := newBuilder(opts, k)
	// Each environment is built by the builder of the tree it comes from:
	// the working tree, or a branch of the repository.
	builders := make([]*builder, len(envs))
	defs := make([]komposer.Environment, len(envs))
	var local []komposer.Environment
	var problems problemList
	for i, env := range envs {
		if env.Branch == "" {
			builders[i], defs[i] = b, env
			local = append(local, env)
			continue
		}
		bb, def, err := b.forBranch(env)
		if err != nil {
			problems.addErr(err)
			continue
		}
		builders[i], defs[i] = bb, def
		problems = append(problems, bb.prepare(ctx, []komposer.Environment{def})...)
	}
	problems = append(problems, b.prepare(ctx, local)...)
	if len(problems) > 0 {
		return nil, problems.err()
	}

	names := make([]string, len(envs))
	for i := range envs {
		names[i] = envs[i].Name
	}
	todo := make([]int, 0, len(envs)) // the environments to build
	if hit == nil {
		for i := range envs {
			todo = append(todo, i)
		}
	} else {
		cached := make([]bool, len(envs))
		forEach(len(envs), func(i int) {
			if ctx.Err() != nil {
				return
			}
			if inputs, ok := builders[i].inputs(ctx, defs[i]); ok && hit(i, defs[i], inputs) {
				cached[i] = true
				for _, o := range defs[i].Overlays {
					builders[i].release(o)
				}
			}
		})
		for i, c := range cached {
			if !c {
				todo = append(todo, i)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.share {
		users := map[*builder]int{}
		for _, i := range todo {
			users[builders[i]]++
		}
		for bb, n := range users {
			bb.share = n > 1
		}
	}
	if len(todo) > 0 {
		// Sources are decoded only when some environment is built.
		decoded := map[*builder]bool{}
		for _, i := range todo {
			if bb := builders[i]; !decoded[bb] {
				decoded[bb] = true
				problems = append(problems, bb.decodeSources()...)
			}
		}
		if len(problems) > 0 {
			return nil, problems.err()
		}
	}
	envProblems := make([]problemList, len(envs))
	forEach(len(todo), func(j int) {
		i := todo[j]
		if ctx.Err() != nil {
			return
		}
		kat := builders[i].build(ctx, defs[i], &envProblems[i])
		if kat != nil {
			if err := each(i, kat); err != nil {
				envProblems[i].addErr(err)
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, p := range envProblems {
		problems = append(problems, p...)
	}
	if len(problems) > 0 {
		return nil, problems.err()
	}
	return names, nil
}

func newBuilder(opts Options, k *komposer.Komposer) *builder {
	if opts.Lock == nil {
		opts.Lock = &lock.Lock{}
	}
	return &builder{opts: opts, k: k, overlays: map[string]*sharedLayer{}, paths: map[string]*layer{}, read: map[string]*readTree{},
		remote: map[string]*remoteLayer{}, resolved: map[string]string{},
		overrides: &layer{docs: k.Overrides, additive: true}, snapshot: opts.Revision,
		lockIn: opts.Lock.Clone(), imageDigests: map[string]*imageDigest{}}
}

// prepare readies the builder for envs: it counts the users of each
// overlay, reads the local sources once for them all, and pins the remote
// ones per environment (the network, if at all, only here).
func (b *builder) prepare(ctx context.Context, envs []komposer.Environment) problemList {
	var problems problemList
	if len(envs) == 0 {
		return nil
	}
	for _, env := range envs {
		for _, o := range env.Overlays {
			sl := b.overlays[o]
			if sl == nil {
				sl = &sharedLayer{path: o, pos: env.Pos, env: env.Name}
				b.overlays[o] = sl
			}
			sl.users++
		}
	}
	k := b.k
	loadErrs := make([]error, len(k.Sources))
	loaded := make([]*layer, len(k.Sources))
	read := make([]*readTree, len(k.Sources))
	forEach(len(k.Sources), func(i int) {
		if s := k.Sources[i]; s.Path != "" {
			read[i], loadErrs[i] = b.readPath(s.Name, s.Path, "path", s.Pos)
		} else if local(s) {
			loaded[i], loadErrs[i] = b.loadLayout(ctx, s)
		}
	})
	for i, err := range loadErrs {
		problems.addErr(err)
		if loaded[i] != nil {
			b.paths[k.Sources[i].Name] = loaded[i]
		}
		if read[i] != nil {
			b.read[k.Sources[i].Name] = read[i]
		}
	}
	for i := range envs {
		for _, s := range k.Sources {
			if !local(s) {
				if _, err := b.pin(ctx, &envs[i], s); err != nil {
					problems.addErr(err)
				}
			}
		}
	}
	if err := uniqueIDs(b.overrides.docs); err != nil {
		problems.addErr(err)
	}
	return problems
}

// build makes one environment's Katalog, or records why it cannot.
func (b *builder) build(ctx context.Context, env komposer.Environment, problems *problemList) *Katalog {
	var layers []*layer
	for _, s := range b.k.Sources {
		l, err := b.source(ctx, env, s)
		if err != nil {
			problems.addErr(err)
			continue
		}
		layers = append(layers, l)
	}
	for _, o := range env.Overlays {
		l, err := b.overlay(o)
		defer b.release(o)
		if err != nil {
			problems.addErr(err)
			continue
		}
		layers = append(layers, l)
	}
	if len(*problems) > 0 {
		return nil
	}
	b.markBuilt(env.Name)
	layers = append(layers, b.overrides)
	kat := b.merge(Env{Name: env.Name, Production: env.Production}, layers, problems)
	kat.oneKatalog(problems)
	kat.resolveCRDFiles(problems)
	if s := b.snapshot; s != nil && s.Branch != "" {
		// Built from a branch: the bundle says from which commit (and of
		// which branch, not where this clone keeps it: the bytes must not
		// depend on whether the branch is local or origin's).
		kat.Pins = append([]bundle.Pin{{Name: s.Branch, Type: "branch", Location: s.Branch, ID: s.Commit}}, kat.Pins...)
	}
	// Schemas check the manifests even when templates failed, so that one
	// run reports both.
	b.complete(kat, problems)
	if len(*problems) > 0 {
		return nil
	}
	b.opts.trace.completed(kat)
	var policies []schema.PolicyFile
	for _, l := range layers {
		policies = append(policies, l.policies...)
	}
	if len(policies) > 0 {
		b.applyPolicies(kat, policies, problems)
		if len(*problems) > 0 {
			return nil
		}
	}
	b.checkOrkestra(kat, problems)
	b.checkNamespaces(kat, env, problems)
	if len(*problems) > 0 {
		return nil
	}
	if e := b.opts.Ephemeral; e != nil && env.Name == e.Name {
		// Renamed last, so that policies name manifests as the Komposer
		// does; the new names are checked again.
		renameEphemeral(kat, e.Name+"-")
		b.complete(kat, problems)
		if len(*problems) > 0 {
			return nil
		}
	}
	// Images are pinned last, in the manifests as validated.
	b.images(ctx, env, kat, problems)
	if len(*problems) > 0 {
		return nil
	}
	kat.finish()
	return kat
}

// sharedLayer is an overlay that several environments may use: read and
// decoded by the first that needs it, dropped after the last.
type sharedLayer struct {
	path  string
	pos   manifest.Pos
	users int    // environments that have yet to release it
	env   string // the first environment to use it, in the Komposer's order

	readOnce sync.Once
	tree     *readTree
	readErr  error

	once  sync.Once
	layer *layer
	err   error
}

// readOverlay reads an overlay's files without decoding them.
func (b *builder) readOverlay(path string) (*readTree, error) {
	sl := b.overlays[path]
	sl.readOnce.Do(func() {
		sl.tree, sl.readErr = b.readPath(path, path, "overlay", sl.pos)
	})
	return sl.tree, sl.readErr
}

// overlay returns the decoded overlay at path. Whether its pieces are kept
// depends on its first environment, whichever environment decodes it.
func (b *builder) overlay(path string) (*layer, error) {
	sl := b.overlays[path]
	rt, err := b.readOverlay(path)
	if err != nil {
		return nil, err
	}
	sl.once.Do(func() {
		sl.layer, sl.err = b.decodeRead(rt, sl.env)
		if sl.layer != nil {
			sl.layer.additive, sl.layer.overlay = true, true
		}
	})
	return sl.layer, sl.err
}

func (b *builder) release(path string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sl := b.overlays[path]
	if sl.users--; sl.users == 0 {
		sl.layer, sl.tree = nil, nil
	}
}

func selectEnvironments(opts Options) ([]komposer.Environment, error) {
	k, names := opts.Komposer, opts.Environments
	if opts.Ephemeral != nil {
		env, err := ephemeralEnvironment(k, opts.Ephemeral, names)
		if err != nil {
			return nil, err
		}
		return []komposer.Environment{env}, nil
	}
	if len(names) == 0 {
		return k.Environments, nil
	}
	var out []komposer.Environment
	var errs []error
	seen := map[string]bool{}
	for _, n := range names {
		e, ok := k.Environment(n)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown environment %q (known: %s)", k.Display, n, strings.Join(k.EnvironmentNames(), ", ")))
			continue
		}
		if !seen[n] {
			out = append(out, *e)
			seen[n] = true
		}
	}
	return out, errors.Join(errs...)
}

type builder struct {
	opts      Options
	k         *komposer.Komposer
	overrides *layer
	snapshot  *git.Snapshot // set when the Komposer is read from a branch or a revision
	mu        sync.Mutex
	overlays  map[string]*sharedLayer // by path: environments may share overlays
	paths     map[string]*layer       // path: sources, by name, once decoded
	read      map[string]*readTree    // path: sources, by name, as read
	remote    map[string]*remoteLayer // remote sources, by name and pin
	resolved  map[string]string       // URL and ref -> commit, once per run

	lockIn       *lock.Lock              // the lock as the run found it
	imageDigests map[string]*imageDigest // by normalised image reference, once per run

	decodeOnce     sync.Once
	decodeProblems problemList

	share  bool // manifests made of the same documents are made once (shared.go)
	shared sharedManifests
	built  sync.Map // environment name -> whether it was built before with this cache (bool)
}

// forEach calls f(0) ... f(n-1) on up to GOMAXPROCS goroutines.
func forEach(n int, f func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// spanSize is how many manifests of one environment a goroutine takes at a
// time: enough that the work outweighs handing it over.
const spanSize = 128

// spans returns the number of spans of n items.
func spans(n int) int { return (n + spanSize - 1) / spanSize }

// forSpans calls f for each span of n items, [lo, hi), on up to GOMAXPROCS
// goroutines.
func forSpans(n int, f func(span, lo, hi int)) {
	forEach(spans(n), func(span int) {
		lo := span * spanSize
		f(span, lo, min(lo+spanSize, n))
	})
}

// readTree is a path: source or overlay as read, not yet decoded.
type readTree struct {
	name    string
	tree    *source.Tree
	display func(string) string
	pin     bundle.Pin
}

// readPath reads a path: source or overlay.
func (b *builder) readPath(name, rel, typ string, pos manifest.Pos) (*readTree, error) {
	tree, display, err := b.loadTree(rel)
	if err != nil {
		return nil, manifest.Errorf(pos, name, "%s %s: %v", typ, name, err)
	}
	if b.opts.Reading != nil {
		size := 0
		for _, f := range tree.Files {
			size += len(f.Data)
		}
		b.opts.Reading(size)
	}
	return &readTree{name: name, tree: tree, display: display, pin: bundle.Pin{Name: name, Type: typ, Location: rel, ID: tree.Digest()}}, nil
}

// decodeRead decodes the files of a path: source, or overlay of env, with
// the documents of its pieces kept by the last run that decoded it (see
// results.go), and keeps this run's for the next.
func (b *builder) decodeRead(rt *readTree, env string) (*layer, error) {
	known := b.keptPieces(rt, env)
	l, pieces, err := b.decodeTree(rt.name, rt.tree, rt.display, known)
	l.pin = rt.pin
	if err == nil {
		b.keepPieces(rt, known, pieces)
	}
	return l, err
}

// decodeSources decodes the path: sources read by prepare, once.
func (b *builder) decodeSources() problemList {
	b.decodeOnce.Do(func() {
		var names []string
		for name := range b.read {
			names = append(names, name)
		}
		slices.Sort(names)
		layers := make([]*layer, len(names))
		errs := make([]error, len(names))
		forEach(len(names), func(i int) {
			layers[i], errs[i] = b.decodeRead(b.read[names[i]], "")
		})
		for i, err := range errs {
			b.decodeProblems.addErr(err)
			b.paths[names[i]] = layers[i]
		}
	})
	return b.decodeProblems
}

// decodeTree decodes a source's files into a layer: manifests and policies.
// display names a file of the tree in messages. With known not nil, the
// documents of every piece of a file it holds are taken from it, and the
// pieces of the tree's files are returned.
func (b *builder) decodeTree(name string, tree *source.Tree, display func(string) string, known manifest.Known) (*layer, manifest.Known, error) {
	l := &layer{}
	// Files are decoded in parallel, and their results taken in order.
	type decoded struct {
		docs   []*manifest.Doc
		pieces manifest.Known
		policy *schema.PolicyFile
		err    error
	}
	out := make([]decoded, len(tree.Files))
	forEach(len(tree.Files), func(i int) {
		f := tree.Files[i]
		shown := display(f.Path)
		if err := source.CheckSize(int64(len(f.Data))); err != nil {
			// Files read from disk and Git are checked before they are
			// read; an OCI artifact's only once unpacked, within its limit.
			out[i].err = fmt.Errorf("%s: %w (source %q)", shown, err, name)
			return
		}
		if strings.HasSuffix(f.Path, ".cue") {
			p := schema.PolicyFile{File: shown, Source: name, Data: f.Data}
			if err := p.Parse(); err != nil {
				out[i].err = err
				return
			}
			out[i].policy = &p
			return
		}
		if known != nil {
			out[i].docs, out[i].pieces, out[i].err = manifest.DecodeKnown(shown, name, f.Data, known)
		} else {
			out[i].docs, out[i].err = manifest.Decode(shown, name, f.Data)
		}
		if v := b.opts.Validator; v != nil {
			for _, d := range out[i].docs {
				apiVersion, _ := d.Object["apiVersion"].(string)
				v.Prepare(apiVersion, d.ID.Kind)
			}
		}
	})
	var errs []error
	var pieces manifest.Known
	if known != nil {
		pieces = manifest.Known{}
	}
	for _, d := range out {
		if d.err != nil {
			errs = append(errs, d.err)
		}
		if d.policy != nil {
			l.policies = append(l.policies, *d.policy)
		}
		l.docs = append(l.docs, d.docs...)
		maps.Copy(pieces, d.pieces)
	}
	if !sameLayer(known, pieces, len(l.docs)) {
		if err := uniqueIDs(l.docs); err != nil {
			errs = append(errs, err)
		}
	}
	return l, pieces, errors.Join(errs...)
}

// sameLayer reports whether a layer of docs documents made of pieces is the
// one whose pieces were kept, each piece once: pieces are kept only from a
// layer whose documents passed uniqueIDs.
func sameLayer(known, pieces manifest.Known, docs int) bool {
	if known == nil || len(known) != len(pieces) {
		return false
	}
	kept := 0
	for sum, d := range pieces {
		if _, ok := known[sum]; !ok {
			return false
		}
		kept += len(d.Parts)
	}
	return kept == docs
}

// display shows path relative to the working directory, slash-separated.
func (b *builder) display(path string) string {
	if b.opts.WorkDir != "" {
		if r, err := filepath.Rel(b.opts.WorkDir, path); err == nil {
			return filepath.ToSlash(r)
		}
	}
	return filepath.ToSlash(path)
}

// uniqueIDs reports documents of one layer that share an identity, and
// lists of named items that name an item twice (found as the documents
// were decoded: Doc.Duplicates). Layers merge such lists by name, so the
// two would silently become one; the API server refuses most of them, and
// the rest are mistakes.
func uniqueIDs(docs []*manifest.Doc) error {
	seen := map[manifest.ID]*manifest.Doc{}
	var errs []error
	for _, d := range docs {
		for _, dup := range d.Duplicates {
			errs = append(errs, manifest.Errorf(dup.Pos, d.Source, "%s: %s: duplicate name %q (first at item %d): items of a list are matched by name, so each name may appear once", d.ID, strings.Join(dup.Path, "."), dup.Name, dup.First))
		}
		if first, dup := seen[d.ID]; dup {
			errs = append(errs, manifest.Errorf(d.Pos, d.Source, "%s is defined twice in one layer (first at %s)", d.ID, first.Pos))
			continue
		}
		seen[d.ID] = d
	}
	return errors.Join(errs...)
}

// merge applies the layers in order and expands templates.
func (b *builder) merge(env Env, layers []*layer, problems *problemList) *Katalog {
	docs := 0 // as many manifests at most: sized once, not grown
	for _, l := range layers {
		docs += len(l.docs)
	}
	kat := &Katalog{Env: env, byID: make(map[manifest.ID]*entry, docs), IDs: make([]manifest.ID, 0, docs)}
	tmpl := env // what templates see
	if b.opts.EnvValue != "" {
		tmpl.Name = b.opts.EnvValue
	}
	for _, l := range layers {
		if l.pin.Type != "" {
			kat.Pins = append(kat.Pins, l.pin)
		}
		for _, d := range l.docs {
			e, ok := kat.byID[d.ID]
			if !ok {
				e = &entry{id: d.ID}
				kat.byID[d.ID] = e
				kat.IDs = append(kat.IDs, d.ID)
				if l.additive {
					kat.Additions = append(kat.Additions, Addition{ID: d.ID, Pos: d.Pos, Source: d.Source})
				}
			}
			e.docs = append(e.docs, d)
			e.own = e.own || l.overlay
		}
	}
	share := b.sharing(layers)
	mergeOne := func(id manifest.ID, problems *problemList) {
		e := kat.byID[id]
		if share && b.useShared(e, tmpl) {
			return
		}
		for _, d := range e.docs {
			merged := b.opts.trace.patch(e.obj, d)
			e.obj, _ = merged.(map[string]any)
		}
		tr := b.opts.trace.of(id)
		if tr != nil {
			tr.merged = merge.Copy(e.obj)
		}
		_, _, errs := expand(e.obj, tmpl, b.k.SecretDeclared)
		if tr != nil {
			tr.expanded = merge.Copy(e.obj)
		}
		for _, te := range errs {
			pos, src := e.locate(te.path)
			msg := te.msg
			if te.secret != "" {
				msg += b.secretHint(te.secret)
			}
			problems.add(problem{pos: pos, source: src, env: env.Name, subject: id.String(), msg: pathMsg(te.path, e.obj, msg)})
		}
	}
	if b.opts.trace != nil {
		for _, id := range kat.IDs {
			mergeOne(id, problems)
		}
		return kat
	}
	// Manifests merge independently: in spans on every core, so that an
	// environment built alone (the others kept) does not take one.
	found := make([]problemList, spans(len(kat.IDs)))
	forSpans(len(kat.IDs), func(span, lo, hi int) {
		for _, id := range kat.IDs[lo:hi] {
			mergeOne(id, &found[span])
		}
	})
	for _, l := range found {
		*problems = append(*problems, l...)
	}
	return kat
}

// complete validates every manifest of a Katalog against its kind's schema
// and fills in defaults.
func (b *builder) complete(kat *Katalog, problems *problemList) {
	// Shared manifests are complete already.
	objs := make([]map[string]any, 0, len(kat.IDs))
	entries := make([]*entry, 0, len(kat.IDs))
	for _, id := range kat.IDs {
		e := kat.byID[id]
		if e.shared != nil {
			continue
		}
		objs = append(objs, e.obj)
		entries = append(entries, e)
	}
	results, err := b.opts.Validator.Complete(objs)
	if err != nil {
		problems.addErr(err)
		return
	}
	for i, r := range results {
		e := entries[i]
		for _, v := range r.Violations {
			pos, src := e.locate(v.Path)
			problems.add(problem{pos: pos, source: src, env: kat.Env.Name, subject: e.id.String(), msg: pathMsg(v.Path, e.obj, v.Msg)})
		}
		e.obj = r.Object
	}
}

// applyPolicies unifies the user's CUE files with one environment's Katalog.
func (b *builder) applyPolicies(kat *Katalog, files []schema.PolicyFile, problems *problemList) {
	byKind := map[string]map[string]any{}
	keys := map[[2]string]manifest.ID{}
	for _, id := range kat.IDs {
		name := policyKey(id)
		if byKind[id.Kind] == nil {
			byKind[id.Kind] = map[string]any{}
		}
		if other, dup := keys[[2]string{id.Kind, name}]; dup {
			problems.add(problem{env: kat.Env.Name, subject: id.String(), msg: fmt.Sprintf("katalog.%s.%q is ambiguous for policies: %s has the same kind and name", id.Kind, name, other)})
			continue
		}
		keys[[2]string{id.Kind, name}] = id
		byKind[id.Kind][name] = kat.byID[id].obj
	}
	out, violations, err := b.opts.Validator.Policies(files, kat.Env, byKind)
	if err != nil {
		problems.addErr(err)
		return
	}
	for _, v := range violations {
		p := problem{env: kat.Env.Name, msg: v.Error()}
		if len(v.Path) >= 3 && v.Path[0] == "katalog" {
			if id, ok := keys[[2]string{v.Path[1], v.Path[2]}]; ok {
				rel := v.Path[3:]
				p.subject = id.String()
				p.msg = pathMsg(rel, kat.byID[id].obj, v.Msg)
				p.pos, p.source = kat.byID[id].locate(rel)
			}
		}
		for _, c := range v.Constraints {
			p.constraints = append(p.constraints, b.display(c.Filename())+":"+strconv.Itoa(c.Line())+":"+strconv.Itoa(c.Column()))
		}
		problems.add(p)
	}
	if len(violations) > 0 {
		return
	}
	// Policies may complete manifests and define new ones.
	var added []map[string]any
	var addedIDs []manifest.ID
	for _, kind := range slices.Sorted(maps.Keys(out)) {
		byName := out[kind]
		for _, name := range slices.Sorted(maps.Keys(byName)) {
			obj, _ := byName[name].(map[string]any)
			if id, ok := keys[[2]string{kind, name}]; ok {
				kat.byID[id].obj = obj
				continue
			}
			id, err := manifest.IDOf(obj)
			if err != nil || id.Kind != kind || policyKey(id) != name {
				problems.add(problem{env: kat.Env.Name, msg: fmt.Sprintf("a policy defines katalog.%s.%q, which is not a manifest of that kind and name", kind, name)})
				continue
			}
			added = append(added, obj)
			addedIDs = append(addedIDs, id)
		}
	}
	if len(added) == 0 {
		return
	}
	results, err := b.opts.Validator.Complete(added)
	if err != nil {
		problems.addErr(err)
		return
	}
	for i, r := range results {
		id := addedIDs[i]
		pos, _ := b.opts.Validator.DefinedAt(kat.Env, id.Kind, policyKey(id))
		for _, v := range r.Violations {
			problems.add(problem{pos: pos, source: "policy", env: kat.Env.Name, subject: id.String(), msg: v.Error() + " (defined by a policy)"})
		}
		kat.byID[id] = &entry{id: id, obj: r.Object}
		kat.IDs = append(kat.IDs, id)
		kat.Additions = append(kat.Additions, Addition{ID: id, Source: "policy"})
	}
}

func policyKey(id manifest.ID) string {
	if id.Namespace != "" {
		return id.Namespace + "/" + id.Name
	}
	return id.Name
}

// systemNamespaces exist in every cluster: the API server creates them.
var systemNamespaces = []string{"default", "kube-node-lease", "kube-public", "kube-system"}

// clusterScopedKinds are the cluster-scoped kinds of Kubernetes' own API
// groups, by group and kind.
var clusterScopedKinds = map[[2]string]bool{
	{"", "Namespace"}: true, {"", "Node"}: true, {"", "PersistentVolume"}: true,
	{"rbac.authorization.k8s.io", "ClusterRole"}: true, {"rbac.authorization.k8s.io", "ClusterRoleBinding"}: true,
	{"apiextensions.k8s.io", "CustomResourceDefinition"}: true,
	{"storage.k8s.io", "StorageClass"}:                   true, {"storage.k8s.io", "CSIDriver"}: true, {"storage.k8s.io", "VolumeAttachment"}: true,
	{"scheduling.k8s.io", "PriorityClass"}: true, {"node.k8s.io", "RuntimeClass"}: true,
	{"networking.k8s.io", "IngressClass"}:                                true,
	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"}:   true,
	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration"}:     true,
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"}:        true,
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"}: true,
	{"apiregistration.k8s.io", "APIService"}:                             true,
	{"certificates.k8s.io", "CertificateSigningRequest"}:                 true,
	{"flowcontrol.apiserver.k8s.io", "FlowSchema"}:                       true,
	{"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"}:       true,
}

// clusterScopedCRs are the kinds of the Katalog's CRDs with scope Cluster.
func clusterScopedCRs(kat *Katalog) map[[2]string]bool {
	out := map[[2]string]bool{}
	for _, id := range kat.IDs {
		if id.Group != "apiextensions.k8s.io" || id.Kind != "CustomResourceDefinition" {
			continue
		}
		spec, _ := kat.byID[id].obj["spec"].(map[string]any)
		names, _ := spec["names"].(map[string]any)
		group, _ := spec["group"].(string)
		kind, _ := names["kind"].(string)
		if scope, _ := spec["scope"].(string); scope == "Cluster" {
			out[[2]string{group, kind}] = true
		}
	}
	return out
}

// checkNamespaces reports every manifest whose namespace is neither a
// Namespace of the Katalog nor declared pre-existing (the Komposer's
// namespaces, the environment's, the system ones): applied to a fresh
// cluster, it would be refused.
func (b *builder) checkNamespaces(kat *Katalog, env komposer.Environment, problems *problemList) {
	known := map[string]bool{}
	for _, ns := range slices.Concat(systemNamespaces, b.k.Namespaces, env.Namespaces) {
		known[ns] = true
	}
	for _, id := range kat.IDs {
		if id.Kind == "Namespace" && id.Group == "" {
			known[id.Name] = true
		}
	}
	// One error per missing namespace, at its first manifest: a missing
	// namespace is one mistake however many manifests it holds.
	first := map[string]manifest.ID{}
	count := map[string]int{}
	var missing []string
	clusterScoped := clusterScopedCRs(kat)
	for _, id := range kat.IDs {
		// The Orkestra Katalog is read from the bundle's ConfigMap, never
		// applied: its namespace is a name, not a place in the cluster.
		if id.Namespace == "" || orkestra.IsKatalog(id.Group, id.Kind) {
			continue
		}
		if gk := [2]string{id.Group, id.Kind}; clusterScopedKinds[gk] || clusterScoped[gk] {
			// The API server would drop the namespace, and the object's
			// identity would not be the one ork and a runtime know it by.
			pos, src := kat.byID[id].locate([]string{"metadata", "namespace"})
			problems.add(problem{pos: pos, source: src, env: kat.Env.Name, subject: id.String(), msg: fmt.Sprintf(
				"metadata.namespace: a %s is cluster-scoped and has no namespace: remove metadata.namespace", id.Kind)})
			continue
		}
		if known[id.Namespace] {
			continue
		}
		if count[id.Namespace] == 0 {
			first[id.Namespace] = id
			missing = append(missing, id.Namespace)
		}
		count[id.Namespace]++
	}
	for _, ns := range missing {
		id := first[ns]
		pos, src := kat.byID[id].locate([]string{"metadata", "namespace"})
		more := ""
		switch n := count[ns] - 1; {
		case n == 1:
			more = " (also used by 1 more manifest)"
		case n > 1:
			more = fmt.Sprintf(" (also used by %d more manifests)", n)
		}
		problems.add(problem{pos: pos, source: src, env: kat.Env.Name, subject: id.String(), msg: fmt.Sprintf(
			"metadata.namespace: namespace %q%s is neither in the bundle nor declared pre-existing: add a Namespace %q to a source, or list it under namespaces: in %s",
			ns, more, ns, b.k.Display)})
	}
}

// finish sorts the Katalog into bundle order.
func (kat *Katalog) finish() {
	manifest.SortIDs(kat.IDs)
	kat.Manifests = make([]map[string]any, len(kat.IDs))
	for i, id := range kat.IDs {
		e := kat.byID[id]
		kat.Manifests[i] = e.obj
		if e.shared != nil {
			if kat.shared == nil {
				kat.shared = make([]*sharedManifest, len(kat.IDs))
			}
			kat.shared[i] = e.shared
		}
	}
}

// locate finds where the value at path was last written: the position in
// the latest layer that sets it, else the manifest's latest document.
func (e *entry) locate(path []string) (manifest.Pos, string) {
	sel := selectors(e.obj, path)
	for i := len(e.docs) - 1; i >= 0; i-- {
		if p, ok := e.docs[i].Position(sel); ok {
			return p, e.docs[i].Source
		}
	}
	// The field is not in any document (a missing required field): blame
	// the deepest parent that some layer wrote.
	for n := len(sel) - 1; n >= 0; n-- {
		for i := len(e.docs) - 1; i >= 0; i-- {
			if p, ok := e.docs[i].Position(sel[:n]); ok {
				return p, e.docs[i].Source
			}
		}
	}
	if len(e.docs) == 0 {
		return manifest.Pos{}, "policy"
	}
	last := e.docs[len(e.docs)-1]
	return last.Pos, last.Source
}

// selectors turns a path into the merged value into one that finds the same
// value in any layer: items of named lists are found by name, since layers
// may hold them at other indices.
func selectors(v any, path []string) []string {
	out := make([]string, len(path))
	for i, p := range path {
		out[i] = p
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			idx, err := strconv.Atoi(p)
			if err != nil || idx < 0 || idx >= len(x) {
				v = nil
				continue
			}
			v = x[idx]
			if m, ok := v.(map[string]any); ok {
				if name, ok := m["name"].(string); ok {
					out[i] = "name=" + name
				}
			}
		default:
			v = nil
		}
	}
	return out
}

func pathMsg(path []string, obj any, msg string) string {
	if len(path) == 0 {
		return msg
	}
	return fieldpath.Format(path, obj) + ": " + msg
}

// secretHint says how to declare an undeclared secret, and which declared
// one was perhaps meant.
func (b *builder) secretHint(name string) string {
	hint := fmt.Sprintf("; add it under `secrets:` in %s", b.k.Display)
	if s := suggest.Closest(name, b.k.Secrets); s != "" {
		hint += fmt.Sprintf(", or did you mean %s?", s)
	}
	return hint
}
