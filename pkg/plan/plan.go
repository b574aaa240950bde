// Package plan compares a newly built bundle with a reference bundle (a
// file, a Git revision of it, or the live ConfigMap) and says what applying
// the new one would change: manifests added, removed and changed, with the
// changed field paths and a unified line diff of each; the source pins that
// moved; and the CustomResourceDefinition changes that break clients.
//
// Values that look like secrets are masked wherever they appear, in every
// format: see Masked.
package plan

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/manifest"
)

// Action says what applying the planned bundle does to a manifest, a field
// or a pin.
type Action string

// The actions of a plan.
const (
	Add    Action = "add"
	Remove Action = "remove"
	Change Action = "change"
)

// Plan is what applying a planned bundle would change, compared with a
// reference.
type Plan struct {
	Environment    string
	Against        string           // the reference, as the user named it
	Empty          bool             // the reference held no bundle: everything is added
	Name           string           // the planned bundle's ConfigMap
	Namespace      string           // and its namespace
	Digest         string           // the planned bundle's ork.dev/digest
	PreviousDigest string           // the reference's digest; empty when Empty
	Manifests      []ManifestChange // CRDs first, then the Katalog, each in bundle order
	Pins           []PinChange
	Images         []ImageChange // images whose digest moved under the same tag
	Notes          []string      // what a reviewer should know besides the changes
	Diff           bool          // a comparison of two environments (ork diff), not a plan
	Overlays       *Overlays     // for a Diff: the environments' overlays; when they differ, they are not in Pins
}

// Overlays are the overlays of the two environments a Diff compares, by
// location, in the order they apply.
type Overlays struct {
	Against     []string // the environment compared with (ork diff's A)
	Environment []string // the environment compared (B)
	Differ      bool
}

// ManifestChange is one manifest added, removed or changed.
type ManifestChange struct {
	ID         ID
	APIVersion string   // the planned apiVersion (the previous one when removed)
	Action     Action   // Add, Remove or Change
	Fields     []Field  // for a Change: the changed field paths, in document order
	Breaking   []string // for a CRD: why the change breaks clients
	Diff       string   // a unified line diff of the manifest's YAML, secrets masked
}

// Field is one changed field of a manifest.
type Field struct {
	Path      string // e.g. spec.template.spec.containers[name=app].image
	Action    Action // Add, Remove or Change
	Old, New  any    // the values, masked; nil when absent
	Sensitive bool   // the value looks like a secret and is masked
}

// PinChange is one source pin (an input of the environment, as its bundle's
// data.lock.yaml records it) that appeared, disappeared or moved.
type PinChange struct {
	Name     string
	Action   Action
	Old, New *bundle.Pin // nil when absent
}

// Counts sums up a plan.
type Counts struct {
	Add, Remove, Change int // manifests
	Breaking            int // CRDs whose change breaks clients
	Pins                int // pins added, removed or moved
}

// Counts returns the plan's totals.
func (p *Plan) Counts() Counts {
	var c Counts
	for _, m := range p.Manifests {
		switch m.Action {
		case Add:
			c.Add++
		case Remove:
			c.Remove++
		case Change:
			c.Change++
		}
		if len(m.Breaking) > 0 {
			c.Breaking++
		}
	}
	c.Pins = len(p.Pins)
	return c
}

// HasChanges reports whether applying the planned bundle changes anything:
// a manifest, a pin, or the bundle's bytes.
//
// For a Diff: whether the environments differ in a manifest, a pin or
// their overlays (their bundles' bytes always differ: each names its
// environment).
func (p *Plan) HasChanges() bool {
	if p.Diff {
		return len(p.Manifests) > 0 || len(p.Pins) > 0 || p.Overlays != nil && p.Overlays.Differ
	}
	return len(p.Manifests) > 0 || len(p.Pins) > 0 || p.Empty || p.Digest != p.PreviousDigest
}

// ID is a manifest's identity: (group, kind, namespace, name).
type ID = manifest.ID

func isCRD(id ID) bool {
	return id.Group == "apiextensions.k8s.io" && id.Kind == "CustomResourceDefinition"
}

// lessID orders IDs as a bundle does: CRDs first, then by group, kind,
// namespace and name.
func lessID(a, b ID) bool {
	if x, y := isCRD(a), isCRD(b); x != y {
		return x
	}
	return a.Less(b)
}

// Reference is the bundle a plan compares with.
type Reference struct {
	Name   string         // as the user named it: a path, git:REV, cluster
	Bundle *bundle.Bundle // nil when there is no bundle yet (a first run)
	Notes  []string       // what was found while reading it
}

// Compare returns the plan that takes ref to planned. ref.Bundle must have
// been verified by whoever read it; it must be a bundle of the planned
// bundle's environment.
func Compare(ref *Reference, planned *bundle.Bundle) (*Plan, error) {
	return compare(ref, planned, false)
}

// Diff compares two environments' bundles, manifest by manifest and field
// by field, with the same renderers as a plan: what changes from from's
// Katalog to to's. The Plan's Environment is to's, Against names from.
func Diff(from *bundle.Bundle, to *bundle.Bundle) (*Plan, error) {
	p, err := compare(&Reference{Name: from.Environment, Bundle: from}, to, true)
	if err != nil {
		return nil, err
	}
	p.Diff = true
	// Each manifest's line diff names the two environments.
	for i := range p.Manifests {
		if rest, ok := strings.CutPrefix(p.Manifests[i].Diff, "--- before\n+++ after\n"); ok {
			p.Manifests[i].Diff = "--- " + from.Environment + "\n+++ " + to.Environment + "\n" + rest
		}
	}
	// Environments have overlays of their own: compared as two lists, not
	// as pins added and removed. An overlay both have stays a pin (its
	// files may differ, on a branch).
	fromOverlays, err := overlays(from)
	if err != nil {
		return nil, err
	}
	toOverlays, err := overlays(to)
	if err != nil {
		return nil, err
	}
	p.Overlays = &Overlays{Against: fromOverlays, Environment: toOverlays, Differ: !slices.Equal(fromOverlays, toOverlays)}
	if p.Overlays.Differ {
		pins := p.Pins[:0]
		for _, pc := range p.Pins {
			if pc.Action == Change || !isOverlay(pc.Old) && !isOverlay(pc.New) {
				pins = append(pins, pc)
			}
		}
		p.Pins = pins
	}
	return p, nil
}

// overlays lists a bundle's overlays by location, in the order they apply.
func overlays(b *bundle.Bundle) ([]string, error) {
	l, err := b.Lock()
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, pin := range l.Sources {
		if pin.Type == "overlay" {
			out = append(out, pin.Location)
		}
	}
	return out, nil
}

func isOverlay(p *bundle.Pin) bool { return p != nil && p.Type == "overlay" }

func compare(ref *Reference, planned *bundle.Bundle, acrossEnvironments bool) (*Plan, error) {
	p := &Plan{
		Environment: planned.Environment,
		Against:     ref.Name,
		Name:        planned.Name,
		Namespace:   planned.Namespace,
		Digest:      planned.Digest,
		Notes:       slices.Clone(ref.Notes),
	}
	old := ref.Bundle
	if old == nil {
		p.Empty = true
		old = &bundle.Bundle{Data: map[string]string{}}
	} else {
		if old.Environment != planned.Environment && !acrossEnvironments {
			return nil, fmt.Errorf("%s is environment %s's bundle, not %s's: a plan against it would compare two environments",
				ref.Name, quoteEmpty(old.Environment), planned.Environment)
		}
		p.PreviousDigest = old.Digest
		if (old.Name != planned.Name || old.Namespace != planned.Namespace) && !acrossEnvironments {
			p.Notes = append(p.Notes, fmt.Sprintf("the bundle's ConfigMap moves from %s/%s to %s/%s; the old one stays until it is deleted",
				old.Namespace, old.Name, planned.Namespace, planned.Name))
		}
	}

	var err error
	if p.Pins, err = comparePins(old, planned, p.Empty); err != nil {
		return nil, err
	}
	if p.Manifests, err = compareDocuments(documents(old), documents(planned), ref.Name); err != nil {
		return nil, err
	}
	p.Images = imageChanges(p.Manifests)
	if !p.Empty && p.Digest != p.PreviousDigest && len(p.Manifests) == 0 && len(p.Pins) == 0 {
		p.Notes = append(p.Notes, "the bundle's bytes differ, but no manifest or pin changed (it was written by another version of ork)")
	}
	return p, nil
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// document is one YAML document of a bundle: a CRD, or a manifest of the
// Katalog.
type document struct {
	raw []byte
	obj map[string]any // decoded only when needed
	id  ID
}

// documents splits a bundle into its CRD documents and the documents of
// its Katalog, undecoded.
func documents(b *bundle.Bundle) []*document {
	var out []*document
	for _, raw := range b.CRDs {
		out = append(out, &document{raw: raw})
	}
	for _, raw := range b.KatalogDocuments() {
		out = append(out, &document{raw: raw})
	}
	return out
}

// decode decodes the document and its identity.
func (d *document) decode(name string) error {
	if d.obj != nil {
		return nil
	}
	var obj map[string]any
	if err := yaml.Unmarshal(d.raw, &obj); err != nil {
		return fmt.Errorf("%s: a manifest does not decode: %w", name, err)
	}
	if obj == nil {
		obj = map[string]any{}
	}
	d.obj = obj
	d.id = identity(obj)
	return nil
}

func identity(m map[string]any) ID {
	k := bundle.Identity(m)
	return ID{Group: k[0], Kind: k[1], Namespace: k[2], Name: k[3]}
}

// compareDocuments pairs the documents of two bundles by identity. A
// document whose bytes the other side holds too is unchanged and is not
// even decoded, so the cost follows the size of the change more than the
// size of the bundle.
func compareDocuments(oldDocs, newDocs []*document, refName string) ([]ManifestChange, error) {
	seen := make(map[string]int, len(oldDocs))
	for _, d := range oldDocs {
		seen[string(d.raw)]++
	}
	var added []*document
	for _, d := range newDocs {
		if seen[string(d.raw)] > 0 {
			seen[string(d.raw)]--
			continue
		}
		added = append(added, d)
	}
	var removed []*document
	for _, d := range oldDocs {
		if seen[string(d.raw)] > 0 {
			seen[string(d.raw)]--
			removed = append(removed, d)
		}
	}

	before := map[ID]*document{}
	for _, d := range removed {
		if err := d.decode(refName); err != nil {
			return nil, err
		}
		if before[d.id] != nil {
			return nil, fmt.Errorf("%s holds %s twice", refName, d.id)
		}
		before[d.id] = d
	}
	after := map[ID]*document{}
	for _, d := range added {
		if err := d.decode("the planned bundle"); err != nil {
			return nil, err
		}
		if after[d.id] != nil {
			return nil, fmt.Errorf("the planned bundle holds %s twice", d.id)
		}
		after[d.id] = d
	}

	var changes []ManifestChange
	for id, n := range after {
		o := before[id]
		if o == nil {
			changes = append(changes, added1(n))
			continue
		}
		if c, ok := changed(o, n); ok {
			changes = append(changes, c)
		}
	}
	for id, o := range before {
		if after[id] == nil {
			changes = append(changes, removed1(o))
		}
	}
	slices.SortFunc(changes, func(a, b ManifestChange) int {
		switch {
		case lessID(a.ID, b.ID):
			return -1
		case lessID(b.ID, a.ID):
			return 1
		}
		return 0
	})
	return changes, nil
}

func apiVersion(m map[string]any) string {
	s, _ := m["apiVersion"].(string)
	return s
}

func added1(n *document) ManifestChange {
	_, mn, _ := maskPair(nil, n.obj, rootWhere(n.id))
	return ManifestChange{ID: n.id, APIVersion: apiVersion(n.obj), Action: Add, Diff: unified("", encodeYAML(mn))}
}

func removed1(o *document) ManifestChange {
	c := ManifestChange{ID: o.id, APIVersion: apiVersion(o.obj), Action: Remove}
	mo, _, _ := maskPair(o.obj, nil, rootWhere(o.id))
	c.Diff = unified(encodeYAML(mo), "")
	if isCRD(o.id) {
		c.Breaking = []string{"the CRD is removed from the bundle: clients of its resources lose their API once it is deleted"}
	}
	return c
}

// changed compares two documents of the same identity; ok is false when
// they hold the same values (written differently).
func changed(o, n *document) (ManifestChange, bool) {
	if reflect.DeepEqual(o.obj, n.obj) {
		return ManifestChange{}, false
	}
	w := rootWhere(n.id)
	c := ManifestChange{ID: n.id, APIVersion: apiVersion(n.obj), Action: Change}
	c.Fields = diffFields(nil, o.obj, n.obj, w)
	mo, mn, masked := maskPair(o.obj, n.obj, w)
	if masked {
		c.Diff = unified(encodeYAML(mo), encodeYAML(mn))
	} else {
		// Nothing to hide: the diff is of the bundle's own bytes.
		c.Diff = unified(string(o.raw), string(n.raw))
	}
	if isCRD(n.id) {
		c.Breaking = breakingCRD(o.obj, n.obj)
	}
	return c, true
}

// encodeYAML renders a (masked) manifest for a diff.
func encodeYAML(m any) string {
	if m == nil {
		return ""
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		// Values decoded from YAML always encode; say so if not.
		return fmt.Sprintf("# cannot render: %v\n", err)
	}
	enc.Close()
	return b.String()
}

// comparePins compares the sources recorded in each bundle's lock.
func comparePins(old, planned *bundle.Bundle, empty bool) ([]PinChange, error) {
	newLock, err := planned.Lock()
	if err != nil {
		return nil, fmt.Errorf("the planned bundle: %w", err)
	}
	var oldPins []bundle.Pin
	if !empty {
		oldLock, err := old.Lock()
		if err != nil {
			return nil, err
		}
		oldPins = oldLock.Sources
	}
	before := map[string]*bundle.Pin{}
	for i := range oldPins {
		before[oldPins[i].Name] = &oldPins[i]
	}
	var out []PinChange
	seen := map[string]bool{}
	for i := range newLock.Sources {
		n := &newLock.Sources[i]
		seen[n.Name] = true
		o := before[n.Name]
		switch {
		case o == nil:
			out = append(out, PinChange{Name: n.Name, Action: Add, New: n})
		case !reflect.DeepEqual(*o, *n):
			out = append(out, PinChange{Name: n.Name, Action: Change, Old: o, New: n})
		}
	}
	for i := range oldPins {
		if o := &oldPins[i]; !seen[o.Name] {
			out = append(out, PinChange{Name: o.Name, Action: Remove, Old: o})
		}
	}
	return out, nil
}

// pinFields returns a pin's fields as data.lock.yaml writes them, so every
// field the lock records is shown, whatever its version.
func pinFields(p *bundle.Pin) map[string]any {
	if p == nil {
		return nil
	}
	data, err := yaml.Marshal(p)
	if err != nil {
		return map[string]any{"name": p.Name, "type": p.Type, "location": p.Location, "ref": p.Ref, "id": p.ID}
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return map[string]any{"name": p.Name, "type": p.Type, "location": p.Location, "ref": p.Ref, "id": p.ID}
	}
	return m
}
