package compose

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/lock"
	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/source/oci"
)

// podSpecs are where the kinds that run containers keep their pod spec,
// by API group ("" is the core group).
var podSpecs = map[[2]string][]string{
	{"", "Pod"}:                   {"spec"},
	{"", "PodTemplate"}:           {"template", "spec"},
	{"", "ReplicationController"}: {"spec", "template", "spec"},
	{"apps", "Deployment"}:        {"spec", "template", "spec"},
	{"apps", "StatefulSet"}:       {"spec", "template", "spec"},
	{"apps", "DaemonSet"}:         {"spec", "template", "spec"},
	{"apps", "ReplicaSet"}:        {"spec", "template", "spec"},
	{"extensions", "Deployment"}:  {"spec", "template", "spec"},
	{"extensions", "DaemonSet"}:   {"spec", "template", "spec"},
	{"extensions", "ReplicaSet"}:  {"spec", "template", "spec"},
	{"batch", "Job"}:              {"spec", "template", "spec"},
	{"batch", "CronJob"}:          {"spec", "jobTemplate", "spec", "template", "spec"},
}

// containerLists are the lists of a pod spec whose items name an image.
var containerLists = []string{"initContainers", "containers", "ephemeralContainers"}

// orkestraHooks are the keys of an Orkestra Katalog under which templates
// describe what the operator creates.
var orkestraHooks = map[string]bool{"onCreate": true, "onReconcile": true, "onDelete": true}

// imageUse is one image reference in a manifest.
type imageUse struct {
	path  []string // to the image field, in the merged manifest
	value string
}

// imageUses returns the image references of a manifest, in a stable order:
// the containers of a workload's pod spec, or the image fields of an
// Orkestra Katalog's templates. Values the runtime still expands (Go
// templates, {{ ... }}) are left out.
func imageUses(id manifest.ID, obj map[string]any) []imageUse {
	var out []imageUse
	add := func(path []string, v any) {
		if s, ok := v.(string); ok && !strings.Contains(s, "{{") {
			out = append(out, imageUse{path: slices.Clone(path), value: s})
		}
	}
	if spec, ok := podSpecs[[2]string{id.Group, id.Kind}]; ok {
		pod, _ := lookup(obj, spec).(map[string]any)
		for _, list := range containerLists {
			items, _ := pod[list].([]any)
			for i, item := range items {
				if c, ok := item.(map[string]any); ok {
					if v, ok := c["image"]; ok {
						add(append(slices.Clone(spec), list, strconv.Itoa(i), "image"), v)
					}
				}
			}
		}
		return out
	}
	if id.Kind == "Katalog" && strings.Contains(id.Group, "orkestra") {
		var walk func(v any, path []string, inHook bool)
		walk = func(v any, path []string, inHook bool) {
			switch x := v.(type) {
			case map[string]any:
				for _, k := range slices.Sorted(maps.Keys(x)) {
					p := append(path, k)
					if inHook && k == "image" {
						add(p, x[k])
						continue
					}
					walk(x[k], p, inHook || orkestraHooks[k])
				}
			case []any:
				for i, item := range x {
					walk(item, append(path, strconv.Itoa(i)), inHook)
				}
			}
		}
		walk(obj["spec"], []string{"spec"}, false)
	}
	return out
}

// setPath returns v with the value at path replaced by val, copying the
// maps and lists on the way: layers share their objects.
func setPath(v any, path []string, val any) any {
	if len(path) == 0 {
		return val
	}
	switch x := v.(type) {
	case map[string]any:
		c := maps.Clone(x)
		c[path[0]] = setPath(x[path[0]], path[1:], val)
		return c
	case []any:
		i, err := strconv.Atoi(path[0])
		if err != nil || i < 0 || i >= len(x) {
			return v
		}
		c := slices.Clone(x)
		c[i] = setPath(x[i], path[1:], val)
		return c
	}
	return v
}

// imageDigest is one image's resolution, made once per run however many
// environments use it.
type imageDigest struct {
	once   sync.Once
	digest string
	err    error
}

// images checks the images of a built Katalog and, when the Komposer pins
// images, writes each as REPOSITORY:TAG@sha256:... from its pin. In a
// production environment an image without a tag or digest, or tagged
// latest, is an error. Images written with a digest are kept as they are.
func (b *builder) images(ctx context.Context, env komposer.Environment, kat *Katalog, problems *problemList) {
	pinning := b.k.PinImages
	if !pinning && !env.Production {
		return
	}
	used := map[string]bool{}
	for _, id := range kat.IDs {
		e := kat.byID[id]
		for _, u := range imageUses(id, e.obj) {
			report := func(format string, args ...any) {
				pos, src := e.locate(u.path)
				problems.add(problem{pos: pos, source: src, env: env.Name, subject: id.String(), msg: pathMsg(u.path, e.obj, fmt.Sprintf(format, args...))})
			}
			img, err := oci.ParseImage(u.value)
			if err != nil {
				if pinning || env.Production {
					report("%v", err)
				}
				continue
			}
			if env.Production && img.Digest == "" && (img.Untagged || img.Tag == "latest") {
				what := "has no tag or digest"
				if !img.Untagged {
					what = "is tagged latest"
				}
				report("image %q %s, which a production environment forbids: name a version (a tag, or @sha256:...)", u.value, what)
				continue
			}
			if !pinning || img.Digest != "" {
				continue
			}
			digest, err := b.imagePin(ctx, env, img)
			if err != nil {
				report("%v", err)
				continue
			}
			used[img.Written] = true
			e.obj = setPath(e.obj, u.path, img.Pinned(digest)).(map[string]any)
		}
	}
	kat.Images = slices.Sorted(maps.Keys(used))
}

// imagePin returns the digest an environment pins an image at: the lock's,
// else (for an environment with after) the pin of the environment before
// it as the lock held it when the run began, else the tag resolved now. A
// pin added is recorded in the lock (which --locked forbids).
func (b *builder) imagePin(ctx context.Context, env komposer.Environment, img oci.Image) (string, error) {
	name := b.pinEnvironment(env.Name)
	def := env
	if name != env.Name {
		if d, ok := b.k.Environment(name); ok {
			def = *d
		}
	}
	b.mu.Lock()
	p, ok := b.opts.Lock.Image(name, img.Written)
	b.mu.Unlock()
	if ok && (!b.opts.updateImages || def.After != "") {
		return p.ID, nil
	}
	if r := b.opts.Revision; r != nil {
		return "", fmt.Errorf("image %q: the ork.lock of revision %s has no pin for it; a build --at a revision resolves nothing", img.Written, r.Ref)
	}
	if b.opts.Locked {
		return "", fmt.Errorf("image %q: ork.lock has no pin for it, and --locked forbids adding one; run `ork lock` and commit ork.lock", img.Written)
	}
	if !ok && def.After != "" {
		prev := def.After
		for range len(b.k.Environments) {
			if pp, ok := b.lockIn.Image(prev, img.Written); ok {
				b.setImage(name, img.Written, lock.ImagePin{ID: pp.ID, Promoted: def.After})
				return pp.ID, nil
			}
			e, ok := b.k.Environment(prev)
			if !ok || e.After == "" {
				break
			}
			prev = e.After
		}
	}
	digest, err := b.resolveImage(ctx, img)
	if err != nil {
		return "", err
	}
	b.setImage(name, img.Written, lock.ImagePin{ID: digest})
	return digest, nil
}

func (b *builder) setImage(env, image string, p lock.ImagePin) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.opts.Lock.SetImage(env, image, p)
}

// resolveImage asks the registry which manifest an image's tag names, once
// per image and run.
func (b *builder) resolveImage(ctx context.Context, img oci.Image) (string, error) {
	key := img.Reference.String()
	b.mu.Lock()
	r := b.imageDigests[key]
	if r == nil {
		r = &imageDigest{}
		b.imageDigests[key] = r
	}
	b.mu.Unlock()
	r.once.Do(func() {
		if b.opts.OCI == nil {
			r.err = errors.New("no OCI client configured")
			return
		}
		r.digest, r.err = b.opts.OCI.ResolveImage(ctx, img)
	})
	if r.err == nil {
		return r.digest, nil
	}
	name := fmt.Sprintf("image %q", img.Written)
	if key != img.Written {
		name += " (" + key + ")"
	}
	if errors.Is(r.err, oci.ErrOffline) {
		return "", fmt.Errorf("%s is not pinned in ork.lock, and --offline forbids asking its registry; run `ork lock` and commit ork.lock", name)
	}
	return "", fmt.Errorf("%s: %w", name, r.err)
}

// pruneImages drops an environment's image pins that its Katalog no longer
// uses.
func pruneImages(l *lock.Lock, env string, used []string) {
	for image := range l.Images[env] {
		if _, ok := slices.BinarySearch(used, image); !ok {
			delete(l.Images[env], image)
		}
	}
}

// imageMoves lists the image pins of env that differ between before and
// after, by image.
func imageMoves(before, after *lock.Lock, env string) []Move {
	var moves []Move
	images := slices.Collect(maps.Keys(after.Images[env]))
	sort.Strings(images)
	for _, image := range images {
		now := after.Images[env][image]
		old, had := before.Image(env, image)
		if had && old.ID == now.ID {
			continue
		}
		m := Move{Environment: env, Image: image, To: now.ID}
		if had {
			m.From = old.ID
		}
		moves = append(moves, m)
	}
	return moves
}
