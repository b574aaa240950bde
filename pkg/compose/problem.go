package compose

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/orkdev/ork/pkg/manifest"
)

// problem is one error about user input. The same problem found in several
// environments (a typo in a shared source) is reported once, naming them all.
type problem struct {
	pos         manifest.Pos
	source      string
	env         string
	subject     string // the manifest
	msg         string
	constraints []string // where the failing policy constraints are written
	err         error    // an error already formatted by a lower layer
}

type problemList []problem

func (l *problemList) add(p problem) { *l = append(*l, p) }

func (l *problemList) addErr(err error) {
	if err == nil {
		return
	}
	// A joined error is several problems; keep them apart so each is
	// reported once and in order.
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			l.addErr(e)
		}
		return
	}
	var me *manifest.Error
	if errors.As(err, &me) {
		*l = append(*l, problem{pos: me.Pos, source: me.Source, msg: me.Msg})
		return
	}
	*l = append(*l, problem{err: err})
}

// err merges problems that differ only by environment and returns them
// joined, in file and line order.
func (l problemList) err() error {
	type key struct {
		pos                          manifest.Pos
		source, subject, msg, constr string
	}
	var keys []key
	envs := map[key][]string{}
	var plain []error
	for _, p := range l {
		if p.err != nil {
			plain = append(plain, p.err)
			continue
		}
		k := key{p.pos, p.source, p.subject, p.msg, strings.Join(p.constraints, ", ")}
		if _, ok := envs[k]; !ok {
			keys = append(keys, k)
			envs[k] = nil
		}
		if p.env != "" && !contains(envs[k], p.env) {
			envs[k] = append(envs[k], p.env)
		}
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := keys[i].pos, keys[j].pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	errs := plain
	for _, k := range keys {
		var b strings.Builder
		if s := k.pos.String(); s != "" {
			b.WriteString(s + ": ")
		}
		if k.subject != "" {
			b.WriteString(k.subject + ": ")
		}
		b.WriteString(k.msg)
		if k.constr != "" {
			b.WriteString("; constraint at " + k.constr)
		}
		var ctx []string
		if e := envs[k]; len(e) == 1 {
			ctx = append(ctx, "environment "+e[0])
		} else if len(e) > 1 {
			ctx = append(ctx, "environments "+strings.Join(e, ", "))
		}
		if k.source != "" {
			ctx = append(ctx, fmt.Sprintf("source %q", k.source))
		}
		if len(ctx) > 0 {
			b.WriteString(" (" + strings.Join(ctx, "; ") + ")")
		}
		errs = append(errs, errors.New(b.String()))
	}
	return errors.Join(errs...)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
