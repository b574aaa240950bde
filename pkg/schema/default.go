package schema

import (
	"strconv"
	"strings"

	"cuelang.org/go/cue"

	"github.com/orkdev/ork/pkg/manifest"
)

// DefaultAt returns where the schema of the kind apiVersion names writes
// the default of the field at path, when it has one. Path elements are map
// keys; a list item is an index or name=NAME. It is for explaining where a
// value came from (ork explain), not for validation.
func (v *Validator) DefaultAt(apiVersion, kind string, path []string) (manifest.Pos, bool) {
	if err := v.init(); err != nil {
		return manifest.Pos{}, false
	}
	v.checkMu.Lock() // checkCUE's context is shared with the checkers' compiler
	defer v.checkMu.Unlock()
	val, ok := v.checkCUE.kinds[[2]string{apiVersion, kind}]
	if !ok {
		return manifest.Pos{}, false
	}
	for _, p := range path {
		val = lookupField(val, p)
		if !val.Exists() {
			return manifest.Pos{}, false
		}
	}
	d, ok := val.Default()
	if !ok {
		return manifest.Pos{}, false
	}
	pos := d.Pos()
	if !pos.IsValid() {
		pos = val.Pos()
	}
	if !pos.IsValid() {
		return manifest.Pos{}, false
	}
	return manifest.Pos{File: pos.Filename(), Line: pos.Line(), Col: pos.Column()}, true
}

// lookupField finds the schema of a field: a regular, optional or
// required field of that name, else the pattern of the struct's other
// fields; for a list item, the schema of the list's items.
func lookupField(v cue.Value, p string) cue.Value {
	if _, err := strconv.Atoi(p); err == nil || strings.HasPrefix(p, "name=") {
		return v.LookupPath(cue.MakePath(cue.AnyIndex))
	}
	var n cue.Value
	for _, s := range []cue.Selector{cue.Str(p), cue.Str(p).Optional(), cue.Str(p).Required(), cue.AnyString} {
		if n = v.LookupPath(cue.MakePath(s)); n.Exists() {
			return n
		}
	}
	return n
}
