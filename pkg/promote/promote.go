// Package promote moves an environment's pins up the ladder: it copies the
// pins of one environment into the next one's section of the lock, and
// builds the bundle that would result, for a preview.
package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/orkdev/ork/pkg/compose"
	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/lock"
)

// ErrSkippedRung is returned when the environment promoted from is not the
// one the target comes after.
var ErrSkippedRung = errors.New("skips a rung of the ladder")

// Options say what to promote.
type Options struct {
	Compose compose.Options // the project; its Lock is not modified
	From    string
	To      string
	Force   bool // allow promoting from another environment than To's after
}

// Result is a promotion, done in memory.
type Result struct {
	Lock    *lock.Lock     // the lock with To's pins set to From's
	Moves   []compose.Move // To's pins that change
	Planned []byte         // To's bundle built with the new pins
}

// Promote copies From's pins of every remote source, and of the images
// both environments use, into To's section of the lock, each marked as
// promoted from From, and builds To's bundle with them. It resolves and fetches nothing new but the pinned trees.
func Promote(ctx context.Context, o Options) (*Result, error) {
	k := o.Compose.Komposer
	from, ok := k.Environment(o.From)
	if !ok {
		return nil, fmt.Errorf("%s: unknown environment %q (known: %s)", k.Display, o.From, strings.Join(k.EnvironmentNames(), ", "))
	}
	to, ok := k.Environment(o.To)
	if !ok {
		return nil, fmt.Errorf("%s: unknown environment %q (known: %s)", k.Display, o.To, strings.Join(k.EnvironmentNames(), ", "))
	}
	if from.Name == to.Name {
		return nil, fmt.Errorf("promoting %s to itself changes nothing", to.Name)
	}
	switch {
	case o.Force:
	case to.After == "":
		return nil, fmt.Errorf("promoting %s to %s %w: %s is on no ladder (it has no after; the ladder: %s); pass --force to copy %s's pins anyway",
			from.Name, to.Name, ErrSkippedRung, to.Name, Ladder(k), from.Name)
	case to.After != from.Name:
		return nil, fmt.Errorf("promoting %s to %s %w: %s comes after %s (the ladder: %s); promote from %s, or pass --force",
			from.Name, to.Name, ErrSkippedRung, to.Name, to.After, Ladder(k), to.After)
	}
	next := o.Compose.Lock.Clone()
	var missing []string
	var moves []compose.Move
	for _, s := range k.Sources {
		if compose.IsLocal(s) {
			continue // versioned with the repository, not pinned
		}
		p, ok := next.Get(from.Name, s.Name)
		if !ok {
			missing = append(missing, s.Name)
			continue
		}
		old, had := next.Get(to.Name, s.Name)
		p.Promoted = from.Name
		next.Set(to.Name, s.Name, p)
		if !had || old.ID != p.ID {
			m := compose.Move{Environment: to.Name, Source: s.Name, To: p.ID}
			if had {
				m.From = old.ID
			}
			moves = append(moves, m)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("ork.lock has no pin for %s in environment %s, so there is nothing to promote; run `ork lock --env %s` first",
			strings.Join(quote(missing), ", "), from.Name, from.Name)
	}
	// Images: From's pins replace To's for the images both use; To's
	// other images keep theirs. Which images To uses is known once built.
	for image, p := range next.Images[from.Name] {
		p.Promoted = from.Name
		next.SetImage(to.Name, image, p)
	}
	opts := o.Compose
	opts.Lock = next.Clone()
	opts.Locked = true // every pin is set: nothing may be resolved behind the preview
	opts.Environments = []string{to.Name}
	opts.Ephemeral = nil
	built, err := compose.Bundles(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("environment %s with %s's pins: %w", to.Name, from.Name, err)
	}
	for image := range next.Images[to.Name] {
		if !slices.Contains(built[0].Images, image) {
			delete(next.Images[to.Name], image)
		}
	}
	for _, image := range built[0].Images {
		p, _ := next.Image(to.Name, image)
		old, had := o.Compose.Lock.Image(to.Name, image)
		if !had || old.ID != p.ID {
			m := compose.Move{Environment: to.Name, Image: image, To: p.ID}
			if had {
				m.From = old.ID
			}
			moves = append(moves, m)
		}
	}
	return &Result{Lock: next, Moves: moves, Planned: built[0].Data}, nil
}

// Ladder describes the environments' after relations, as chains from the
// environments nothing comes before: "dev -> staging -> production".
func Ladder(k *komposer.Komposer) string {
	next := map[string][]string{}
	var roots []string
	for _, e := range k.Environments {
		if e.After == "" {
			roots = append(roots, e.Name)
		} else {
			next[e.After] = append(next[e.After], e.Name)
		}
	}
	var chains []string
	var walk func(path []string)
	walk = func(path []string) {
		last := path[len(path)-1]
		if len(next[last]) == 0 {
			chains = append(chains, strings.Join(path, " -> "))
			return
		}
		for _, n := range next[last] {
			walk(append(path[:len(path):len(path)], n))
		}
	}
	for _, r := range roots {
		walk([]string{r})
	}
	return strings.Join(chains, "; ")
}

func quote(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
