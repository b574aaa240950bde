package schema

import (
	"errors"
	"fmt"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/orkdev/ork/pkg/manifest"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/parser"
)

// PolicyFile is a user's *.cue file from a source or overlay.
type PolicyFile struct {
	File   string // as shown in messages
	Source string
	Data   []byte
}

// Parse checks a policy file's syntax, so that a CUE syntax error is
// reported once, at its position, whatever environments use the file.
func (p PolicyFile) Parse() error {
	_, err := parser.ParseFile(p.File, p.Data)
	return positioned(err, p.Source)
}

// positioned turns a CUE error into one *manifest.Error per error it holds,
// keeping CUE's own positions.
func positioned(err error, source string) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		if path := e.Path(); len(path) > 0 {
			msg = strings.Join(path, ".") + ": " + msg
		}
		pos := manifest.Pos{}
		if p := e.Position(); p.IsValid() {
			pos = manifest.Pos{File: p.Filename(), Line: p.Line(), Col: p.Column()}
		}
		out = append(out, &manifest.Error{Pos: pos, Source: source, Msg: msg})
	}
	return errors.Join(out...)
}

// Policies unifies the user's policy files with the Katalog of one
// environment. Each file sees env and katalog (manifests by kind, then by
// name) and may constrain or add manifests. It returns the Katalog as the
// policies complete it, and every violation, with paths from the root (so
// they start with "katalog").
func (v *Validator) Policies(files []PolicyFile, env any, katalog map[string]map[string]any) (map[string]map[string]any, []Violation, error) {
	c, err := v.get()
	if err != nil {
		return nil, nil, err
	}
	defer v.put(c)
	scope := c.ctx.Encode(map[string]any{"env": env})
	u := c.ctx.Encode(map[string]any{"env": env, "katalog": katalog})
	for _, f := range files {
		syntax, err := parser.ParseFile(f.File, f.Data)
		if err != nil {
			return nil, nil, positioned(err, f.Source)
		}
		val := c.ctx.BuildFile(syntax, cue.Scope(scope), cue.Filename(f.File))
		if err := val.Err(); err != nil {
			return nil, nil, positioned(err, f.Source)
		}
		u = u.Unify(val)
	}
	k := u.LookupPath(cue.MakePath(cue.Str("katalog")))
	if err := u.Validate(); err != nil {
		return nil, violations(err, u), nil
	}
	if err := k.Validate(cue.Concrete(true)); err != nil {
		return nil, violations(err, u), nil
	}
	var out map[string]map[string]any
	if err := k.Decode(&out); err != nil {
		return nil, violations(err, u), nil
	}
	for kind, byName := range out {
		for name, m := range byName {
			byName[name] = normalize(m)
			if _, given := katalog[kind][name]; !given {
				v.definedAt.Store([3]string{fmt.Sprint(env), kind, name}, posOf(k.LookupPath(cue.MakePath(cue.Str(kind), cue.Str(name)))))
			}
		}
	}
	return out, nil, nil
}

// DefinedAt returns where a policy defined the manifest katalog.kind.name
// that Policies added for env, when CUE knows.
func (v *Validator) DefinedAt(env any, kind, name string) (manifest.Pos, bool) {
	p, ok := v.definedAt.Load([3]string{fmt.Sprint(env), kind, name})
	if !ok {
		return manifest.Pos{}, false
	}
	pos := p.(manifest.Pos)
	return pos, pos.File != ""
}

// posOf is the position of a value's first conjunct that has one.
func posOf(val cue.Value) manifest.Pos {
	if p := val.Pos(); p.IsValid() {
		return manifest.Pos{File: p.Filename(), Line: p.Line(), Col: p.Column()}
	}
	return manifest.Pos{}
}
