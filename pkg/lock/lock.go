// Package lock reads and writes ork.lock: for each environment and remote
// source, what was asked for and the immutable id it resolved to.
package lock

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/schema"
	"github.com/orkdev/ork/pkg/source"
)

// FileName is the lock's name, next to the Komposer.
const FileName = "ork.lock"

// Format of the lock.
const (
	APIVersion = "ork.dev/v1alpha1"
	Kind       = "Lock"
)

// Pin is one resolved remote source.
type Pin struct {
	Type     string `yaml:"type"`               // git or oci
	Location string `yaml:"location"`           // the URL or OCI reference asked for
	Ref      string `yaml:"ref,omitempty"`      // the floating ref asked for
	Path     string `yaml:"path,omitempty"`     // the sub-directory of a Git source
	ID       string `yaml:"id"`                 // a commit or a manifest digest
	Promoted string `yaml:"promoted,omitempty"` // the environment a promotion copied it from
}

// Asks reports whether the pin was made for the same request: a pin is
// only valid for the location, ref and path it resolved.
func (p Pin) Asks(typ, location, ref, path string) bool {
	return p.Type == typ && p.Location == location && p.Ref == ref && p.Path == path
}

// ImagePin is one container image resolved to a manifest digest (the
// index digest of a multi-architecture image).
type ImagePin struct {
	ID       string `yaml:"id"`                 // sha256:...
	Promoted string `yaml:"promoted,omitempty"` // the environment it was copied from
}

// Lock is the content of ork.lock.
type Lock struct {
	Environments map[string]map[string]Pin      // environment -> source -> pin
	Images       map[string]map[string]ImagePin // environment -> image as written -> pin
}

type document struct {
	APIVersion   string                 `yaml:"apiVersion"`
	Kind         string                 `yaml:"kind"`
	Environments map[string]environment `yaml:"environments"`
}

type environment struct {
	Sources map[string]Pin      `yaml:"sources,omitempty"`
	Images  map[string]ImagePin `yaml:"images,omitempty"`
}

// Get returns the pin of source in env.
func (l *Lock) Get(env, source string) (Pin, bool) {
	p, ok := l.Environments[env][source]
	return p, ok
}

// Set pins source in env.
func (l *Lock) Set(env, source string, p Pin) {
	if l.Environments == nil {
		l.Environments = map[string]map[string]Pin{}
	}
	if l.Environments[env] == nil {
		l.Environments[env] = map[string]Pin{}
	}
	l.Environments[env][source] = p
}

// Image returns the pin of image (as written) in env.
func (l *Lock) Image(env, image string) (ImagePin, bool) {
	p, ok := l.Images[env][image]
	return p, ok
}

// SetImage pins image (as written) in env.
func (l *Lock) SetImage(env, image string, p ImagePin) {
	if l.Images == nil {
		l.Images = map[string]map[string]ImagePin{}
	}
	if l.Images[env] == nil {
		l.Images[env] = map[string]ImagePin{}
	}
	l.Images[env][image] = p
}

// Empty reports whether the lock holds no pin.
func (l *Lock) Empty() bool {
	for _, pins := range l.Environments {
		if len(pins) > 0 {
			return false
		}
	}
	for _, pins := range l.Images {
		if len(pins) > 0 {
			return false
		}
	}
	return true
}

// Clone returns a deep copy.
func (l *Lock) Clone() *Lock {
	c := &Lock{Environments: map[string]map[string]Pin{}, Images: map[string]map[string]ImagePin{}}
	for env, pins := range l.Environments {
		c.Environments[env] = maps.Clone(pins)
	}
	for env, pins := range l.Images {
		c.Images[env] = maps.Clone(pins)
	}
	return c
}

// Encode renders the lock: sorted keys, no timestamps, so its bytes change
// only when a pin does.
func (l *Lock) Encode() ([]byte, error) {
	doc := document{APIVersion: APIVersion, Kind: Kind, Environments: map[string]environment{}}
	for env, pins := range l.Environments {
		if len(pins) > 0 {
			doc.Environments[env] = environment{Sources: pins}
		}
	}
	for env, pins := range l.Images {
		if len(pins) > 0 {
			e := doc.Environments[env]
			e.Images = pins
			doc.Environments[env] = e
		}
	}
	var b bytes.Buffer
	b.WriteString("# ork.lock: the pinned version of every remote source, per environment.\n# Written by ork; pins move only with `ork lock --update` and `ork promote`.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Read loads the lock at path, checked against the #Lock schema. A missing
// file is an empty lock; exists says which.
func Read(path, display string, v *schema.Validator) (l *Lock, exists bool, err error) {
	data, err := source.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Lock{Environments: map[string]map[string]Pin{}}, false, nil
	}
	if tl := (*source.FileTooLargeError)(nil); errors.As(err, &tl) {
		return nil, false, fmt.Errorf("%s: %w", display, err)
	}
	if err != nil {
		return nil, false, err
	}
	l, err = Parse(display, data, v)
	return l, true, err
}

// Parse checks a lock's bytes: one YAML document of a known version whose
// every pin is an immutable id. Errors name the file and line.
func Parse(display string, data []byte, v *schema.Validator) (*Lock, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, manifest.YAMLError(display, "", data, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: the lock is empty; delete it and run `ork lock` to write a new one", display)
	}
	top := root.Content[0]
	val, err := manifest.Value(display, "", top)
	if err != nil {
		return nil, err
	}
	obj, ok := val.(map[string]any)
	if !ok {
		return nil, manifest.Errorf(manifest.Pos{File: display, Line: top.Line, Col: top.Column}, "", "the lock is not a mapping")
	}
	if obj["apiVersion"] != APIVersion || obj["kind"] != Kind {
		return nil, manifest.Errorf(manifest.Pos{File: display, Line: top.Line, Col: top.Column}, "",
			"unknown lock format %v/%v; this ork reads %s/%s (a newer ork may have written it)", obj["apiVersion"], obj["kind"], APIVersion, Kind)
	}
	_, violations, err := v.Check("#Lock", obj)
	if err != nil {
		return nil, err
	}
	if len(violations) > 0 {
		var errs []error
		for _, vio := range violations {
			errs = append(errs, manifest.Errorf(nodePos(display, top, vio.Path), "", "%s", vio.Error()))
		}
		return nil, errors.Join(errs...)
	}
	var doc document
	if err := top.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", display, err)
	}
	l := &Lock{Environments: map[string]map[string]Pin{}}
	for env, e := range doc.Environments {
		for s, p := range e.Sources {
			l.Set(env, s, p)
		}
		for image, p := range e.Images {
			l.SetImage(env, image, p)
		}
	}
	return l, nil
}

// nodePos finds the position of path below n, or n's own.
func nodePos(file string, n *yaml.Node, path []string) manifest.Pos {
	for _, sel := range path {
		var next *yaml.Node
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == sel {
					next = n.Content[i+1]
				}
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return manifest.Pos{File: file, Line: n.Line, Col: n.Column}
}

// Path returns where the lock of the Komposer at komposerPath lives.
func Path(komposerPath string) string {
	return filepath.Join(filepath.Dir(komposerPath), FileName)
}
