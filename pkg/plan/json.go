package plan

import (
	"encoding/json"
	"io"
)

// FormatVersion is the version of the JSON document WriteJSON writes. It
// changes only when a field is removed or changes meaning; fields may be
// added within a version.
const FormatVersion = 1

// JSON is the document WriteJSON writes (format_version 1). Every list is
// present, empty rather than null; values of fields are JSON values as the
// manifest holds them, with secrets replaced by "(sensitive value)" (or
// "(sensitive value, changed)" on the new side of a changed secret).
//
//	{
//	  "format_version": 1,
//	  "kind": "plan",                     // or "diff" (ork diff: environment compared with against)
//	  "environment": "dev",
//	  "against": "bundles/dev.yaml",      // a path, git:REV, or cluster (context C)
//	  "against_empty": false,             // true: no bundle there yet, all is added
//	  "bundle": {"name": "orkestra-katalog", "namespace": "orkestra-system"},
//	  "digest": "sha256:…",               // the planned bundle's ork.dev/digest
//	  "previous_digest": "sha256:…",      // "" when against_empty
//	  "changes": true,                    // what --exit-code reports
//	  "summary": "1 to add, 0 to remove, 1 to change, 1 source pin moved",
//	  "counts": {"add": 1, "remove": 0, "change": 1, "breaking": 0, "pins": 1},
//	  "pins": [{"name": "base", "action": "change",
//	            "old": {"name": "base", "type": "path", "location": "./katalog", "id": "sha256:…"},
//	            "new": {…}}],             // old or new null when added or removed
//	  "manifests": [{
//	    "id": {"group": "apps", "kind": "Deployment", "namespace": "identity", "name": "keycloak"},
//	    "api_version": "apps/v1",
//	    "action": "change",               // add, remove or change
//	    "breaking": [],                   // for a CRD: why the change breaks clients
//	    "fields": [{"path": "spec.replicas", "action": "change", "old": 1, "new": 3, "sensitive": false}],
//	    "diff": "--- before\n+++ after\n@@ …"
//	  }],
//	  "notes": [],
//	  "overlays": {"against": ["./environments/dev"], "environment": ["./environments/staging"], "differ": true}
//	                                      // kind diff only
//	}
type JSON struct {
	FormatVersion  int            `json:"format_version"`
	Kind           string         `json:"kind"` // "plan", or "diff" (ork diff: environment compared with against)
	Environment    string         `json:"environment"`
	Against        string         `json:"against"`
	AgainstEmpty   bool           `json:"against_empty"`
	Bundle         JSONBundle     `json:"bundle"`
	Digest         string         `json:"digest"`
	PreviousDigest string         `json:"previous_digest"`
	Changes        bool           `json:"changes"`
	Summary        string         `json:"summary"`
	Counts         JSONCounts     `json:"counts"`
	Pins           []JSONPin      `json:"pins"`
	Images         []JSONImage    `json:"images,omitempty"` // images whose digest moved under the same tag
	Manifests      []JSONManifest `json:"manifests"`
	Notes          []string       `json:"notes"`
	Overlays       *JSONOverlays  `json:"overlays,omitempty"` // kind diff only
}

// JSONOverlays are the overlays of the two environments of a diff, by
// location in the order they apply; "differ" says whether the lists differ
// (overlays are then compared here, not among the pins).
type JSONOverlays struct {
	Against     []string `json:"against"`
	Environment []string `json:"environment"`
	Differ      bool     `json:"differ"`
}

// JSONImage is an image whose digest moved under the same tag.
type JSONImage struct {
	Image string `json:"image"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// JSONBundle names the bundle's ConfigMap.
type JSONBundle struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// JSONCounts are a plan's totals.
type JSONCounts struct {
	Add      int `json:"add"`
	Remove   int `json:"remove"`
	Change   int `json:"change"`
	Breaking int `json:"breaking"`
	Pins     int `json:"pins"`
}

// JSONPin is one pin that moved; Old and New hold the pin's fields as
// data.lock.yaml records them.
type JSONPin struct {
	Name   string         `json:"name"`
	Action Action         `json:"action"`
	Old    map[string]any `json:"old"`
	New    map[string]any `json:"new"`
}

// JSONManifest is one manifest added, removed or changed.
type JSONManifest struct {
	ID         ID          `json:"id"`
	APIVersion string      `json:"api_version"`
	Action     Action      `json:"action"`
	Breaking   []string    `json:"breaking"`
	Fields     []JSONField `json:"fields"`
	Diff       string      `json:"diff"`
}

// JSONField is one changed field of a manifest.
type JSONField struct {
	Path      string `json:"path"`
	Action    Action `json:"action"`
	Old       any    `json:"old"`
	New       any    `json:"new"`
	Sensitive bool   `json:"sensitive"`
}

// JSON returns the plan's JSON document.
func (p *Plan) JSON() JSON {
	out := JSON{
		FormatVersion:  FormatVersion,
		Kind:           p.kind(),
		Environment:    p.Environment,
		Against:        p.Against,
		AgainstEmpty:   p.Empty,
		Bundle:         JSONBundle{Name: p.Name, Namespace: p.Namespace},
		Digest:         p.Digest,
		PreviousDigest: p.PreviousDigest,
		Changes:        p.HasChanges(),
		Summary:        p.Summary(),
		Counts:         JSONCounts(p.Counts()),
		Pins:           []JSONPin{},
		Manifests:      []JSONManifest{},
		Notes:          append([]string{}, p.notes()...),
	}
	for _, ic := range p.Images {
		out.Images = append(out.Images, JSONImage(ic))
	}
	if o := p.Overlays; o != nil {
		out.Overlays = &JSONOverlays{Against: o.Against, Environment: o.Environment, Differ: o.Differ}
	}
	for _, pc := range p.Pins {
		out.Pins = append(out.Pins, JSONPin{Name: pc.Name, Action: pc.Action, Old: pinFields(pc.Old), New: pinFields(pc.New)})
	}
	for _, m := range p.Manifests {
		jm := JSONManifest{ID: m.ID, APIVersion: m.APIVersion, Action: m.Action, Breaking: append([]string{}, m.Breaking...), Fields: []JSONField{}, Diff: m.Diff}
		for _, f := range m.Fields {
			jm.Fields = append(jm.Fields, JSONField(f))
		}
		out.Manifests = append(out.Manifests, jm)
	}
	return out
}

// WriteJSON writes the plan's JSON document, indented, keys in a fixed
// order (maps' keys sorted).
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(p.JSON())
}

func (p *Plan) kind() string {
	if p.Diff {
		return "diff"
	}
	return "plan"
}
