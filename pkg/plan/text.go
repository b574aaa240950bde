package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/orkdev/ork/pkg/bundle"
)

// TextOptions say how to write a plan as text.
type TextOptions struct {
	Color bool // ANSI colours, for a terminal
}

// ANSI escape sequences.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

type painter bool

func (p painter) paint(code, s string) string {
	if !p || s == "" {
		return s
	}
	return code + s + ansiReset
}

// WriteText writes the plan for a person reading a terminal.
func (p *Plan) WriteText(w io.Writer, opts TextOptions) error {
	c := painter(opts.Color)
	var b bytes.Buffer
	title := fmt.Sprintf("Plan for environment %s against %s", p.Environment, p.Against)
	if p.Diff {
		title = fmt.Sprintf("Environment %s compared with %s", p.Environment, p.Against)
	}
	fmt.Fprintf(&b, "%s\n", c.paint(ansiBold, title))
	for _, n := range p.notes() {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	if !p.HasChanges() {
		if p.Diff {
			fmt.Fprintf(&b, "\nNo differences: the two environments' Katalogs, pins and overlays are the same.\n")
		} else {
			fmt.Fprintf(&b, "\nNo changes: the bundle is up to date (%s).\n", p.Digest)
		}
		_, err := w.Write(b.Bytes())
		return err
	}
	if len(p.Pins) > 0 {
		fmt.Fprintf(&b, "\n%s\n", c.paint(ansiBold, "Source pins:"))
		for _, pc := range p.Pins {
			fmt.Fprintf(&b, "  %s %s\n", c.sign(pc.Action), pinLine(pc))
		}
	}
	if len(p.Images) > 0 {
		fmt.Fprintf(&b, "\n%s\n", c.paint(ansiBold, "Images whose digest moved under the same tag:"))
		for _, ic := range p.Images {
			fmt.Fprintf(&b, "  %s %s: %s -> %s\n", c.sign(Change), ic.Image, shortID(ic.Old), shortID(ic.New))
		}
	}
	if o := p.Overlays; o != nil && o.Differ {
		fmt.Fprintf(&b, "\n%s\n", c.paint(ansiBold, "Overlays:"))
		for _, l := range p.pairLines(overlayList(o.Against), overlayList(o.Environment)) {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	if len(p.Manifests) > 0 {
		fmt.Fprintf(&b, "\n%s\n", c.paint(ansiBold, "Manifests:"))
	}
	for _, m := range p.Manifests {
		head := m.ID.String()
		if len(m.Breaking) > 0 {
			head += "  " + c.paint(ansiBold+ansiRed, "BREAKING")
		}
		fmt.Fprintf(&b, "  %s %s\n", c.sign(m.Action), head)
		for _, r := range m.Breaking {
			fmt.Fprintf(&b, "      %s %s\n", c.paint(ansiRed, "breaking:"), r)
		}
		for _, f := range m.Fields {
			fmt.Fprintf(&b, "      %s %s\n", c.sign(f.Action), fieldLine(f))
		}
		if m.Diff != "" {
			for _, l := range strings.SplitAfter(strings.TrimSuffix(m.Diff, "\n"), "\n") {
				l = strings.TrimSuffix(l, "\n")
				fmt.Fprintf(&b, "      %s\n", c.diffLine(l))
			}
		}
	}
	if p.Diff {
		fmt.Fprintf(&b, "\n%s\n", c.paint(ansiBold, "Diff: "+p.Summary()+"."))
		fmt.Fprintf(&b, "Environments' bundle digests:\n")
		for _, l := range p.pairLines(p.PreviousDigest, p.Digest) {
			fmt.Fprintf(&b, "  %s\n", l)
		}
		_, err := w.Write(b.Bytes())
		return err
	}
	fmt.Fprintf(&b, "\n%s\n", c.paint(ansiBold, "Plan: "+p.Summary()+"."))
	fmt.Fprintf(&b, "Planned bundle digest: %s\n", p.Digest)
	_, err := w.Write(b.Bytes())
	return err
}

func (c painter) sign(a Action) string {
	switch a {
	case Add:
		return c.paint(ansiGreen, "+")
	case Remove:
		return c.paint(ansiRed, "-")
	}
	return c.paint(ansiYellow, "~")
}

func (c painter) diffLine(l string) string {
	switch {
	case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		return c.paint(ansiBold, l)
	case strings.HasPrefix(l, "@@"):
		return c.paint(ansiCyan, l)
	case strings.HasPrefix(l, "+"):
		return c.paint(ansiGreen, l)
	case strings.HasPrefix(l, "-"):
		return c.paint(ansiRed, l)
	}
	return l
}

// notes are the plan's notes, with what a reader must know first.
func (p *Plan) notes() []string {
	var out []string
	if p.Empty {
		out = append(out, fmt.Sprintf("%s holds no bundle yet: planning against an empty bundle (everything is added)", p.Against))
	}
	return append(out, p.Notes...)
}

// pairLines writes one value of each environment of a Diff, a line each,
// the names aligned: "dev:     x", "staging: y".
func (p *Plan) pairLines(against, env string) []string {
	w := max(len(p.Against), len(p.Environment)) + 1
	return []string{
		fmt.Sprintf("%-*s %s", w, p.Against+":", against),
		fmt.Sprintf("%-*s %s", w, p.Environment+":", env),
	}
}

func overlayList(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, ", ")
}

// Summary is the plan's one-line summary of counts, e.g. "1 to add, 0 to
// remove, 2 to change (1 breaking), 1 source pin moved". A Diff's says
// what differs: "3 manifests differ (3 changed, 0 only in staging, 0 only
// in dev), the overlays differ".
func (p *Plan) Summary() string {
	if p.Diff {
		return p.diffSummary()
	}
	if !p.HasChanges() {
		return "no changes"
	}
	c := p.Counts()
	s := fmt.Sprintf("%d to add, %d to remove, %d to change", c.Add, c.Remove, c.Change)
	if c.Breaking > 0 {
		s += fmt.Sprintf(" (%d breaking)", c.Breaking)
	}
	switch c.Pins {
	case 1:
		s += ", 1 source pin moved"
	default:
		s += fmt.Sprintf(", %d source pins moved", c.Pins)
	}
	return s
}

// pinLine describes a pin change: name (type location[ ref]): old -> new.
func pinLine(pc PinChange) string {
	o, n := pc.Old, pc.New
	switch pc.Action {
	case Add:
		return fmt.Sprintf("%s (%s): %s", pc.Name, pinWhat(n), shortID(n.ID))
	case Remove:
		return fmt.Sprintf("%s (%s): %s", pc.Name, pinWhat(o), shortID(o.ID))
	}
	what := pinWhat(n)
	if ow := pinWhat(o); ow != what {
		what = ow + " -> " + what
	}
	ids := shortID(o.ID) + " -> " + shortID(n.ID)
	if o.ID == n.ID {
		ids = shortID(n.ID) + " (unchanged)"
	}
	s := fmt.Sprintf("%s (%s): %s", pc.Name, what, ids)
	if n.From != o.From && n.From != "" {
		s += ", promoted from " + n.From
	}
	return s
}

// pinWhat describes what a pin points at: "type location[ path][ ref]".
func pinWhat(p *bundle.Pin) string {
	f := pinFields(p)
	s := str(f["type"]) + " " + str(f["location"])
	if path := str(f["path"]); path != "" {
		s += " " + path
	}
	if ref := str(f["ref"]); ref != "" {
		s += " " + ref
	}
	return s
}

// shortID shortens a sha256 or commit id to 12 hex digits.
func shortID(id string) string {
	prefix, hex, ok := strings.Cut(id, ":")
	if !ok {
		prefix, hex = "", id
	} else {
		prefix += ":"
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return prefix + hex
}

// fieldLine describes a changed field: path: old -> new.
func fieldLine(f Field) string {
	switch f.Action {
	case Add:
		return fmt.Sprintf("%s: %s", f.Path, formatValue(f.New))
	case Remove:
		return fmt.Sprintf("%s: %s", f.Path, formatValue(f.Old))
	}
	return fmt.Sprintf("%s: %s -> %s", f.Path, formatValue(f.Old), formatValue(f.New))
}

// maxValue is how many characters of a value a field line shows.
const maxValue = 80

// formatValue renders a (masked) value on one line: strings quoted, masks
// bare, maps and lists as compact JSON, cut at maxValue characters.
func formatValue(v any) string {
	if s, ok := v.(string); ok && (s == Masked || s == maskedChanged) {
		return s
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	s := strings.TrimSuffix(b.String(), "\n")
	if utf8.RuneCountInString(s) > maxValue {
		r := []rune(s)
		s = string(r[:maxValue-1]) + "…"
	}
	return s
}

func (p *Plan) diffSummary() string {
	if !p.HasChanges() {
		return "no differences"
	}
	c := p.Counts()
	n := c.Add + c.Remove + c.Change
	s := "no manifest differs"
	if n > 0 {
		s = fmt.Sprintf("%d %s (%d changed, %d only in %s, %d only in %s)",
			n, plural(n, "manifest differs", "manifests differ"), c.Change, c.Add, p.Environment, c.Remove, p.Against)
	}
	if c.Breaking > 0 {
		s += fmt.Sprintf(", %d CRD %s clients of %s", c.Breaking, plural(c.Breaking, "change breaks", "changes break"), p.Against)
	}
	if c.Pins > 0 {
		s += fmt.Sprintf(", %d source %s", c.Pins, plural(c.Pins, "pin differs", "pins differ"))
	}
	if p.Overlays != nil && p.Overlays.Differ {
		s += ", the overlays differ"
	}
	return s
}
