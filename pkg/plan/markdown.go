package plan

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"strings"
)

// markdownBudget bounds the diffs a markdown plan holds, so that it fits a
// pull-request comment (GitHub takes 65,536 characters); past it a diff is
// replaced by a line saying so.
const markdownBudget = 50000

// WriteMarkdown writes the plan as GitHub-flavoured markdown, to be posted
// as a pull-request comment: the summary, breaking changes first, a table
// of the manifests and pins that change, and each manifest's field changes
// and diff in a collapsible <details> block.
func (p *Plan) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	if p.Diff {
		fmt.Fprintf(&b, "### ork diff: %s compared with %s\n\n", code(p.Environment), code(p.Against))
	} else {
		fmt.Fprintf(&b, "### ork plan: %s against %s\n\n", code(p.Environment), code(p.Against))
	}
	if notes := p.notes(); len(notes) > 0 {
		b.WriteString("> [!NOTE]\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "> %s\n", escapeMD(n))
		}
		b.WriteString("\n")
	}
	switch {
	case !p.HasChanges() && p.Diff:
		b.WriteString("**No differences**: the two environments' Katalogs, pins and overlays are the same.\n")
	case !p.HasChanges():
		fmt.Fprintf(&b, "**No changes**: the bundle is up to date (%s).\n", code(p.Digest))
	}
	if !p.HasChanges() {
		_, err := w.Write(b.Bytes())
		return err
	}
	if p.Diff {
		fmt.Fprintf(&b, "**Diff: %s.**\n\n", p.Summary())
	} else {
		fmt.Fprintf(&b, "**Plan: %s.**\n\n", p.Summary())
	}

	var breaking []string
	for _, m := range p.Manifests {
		for _, r := range m.Breaking {
			breaking = append(breaking, fmt.Sprintf("> - %s: %s\n", code(m.ID.String()), escapeMD(r)))
		}
	}
	if len(breaking) > 0 {
		b.WriteString("> [!CAUTION]\n> **Breaking CRD changes**: clients of these resources may fail once the bundle is applied.\n>\n")
		for _, l := range breaking {
			b.WriteString(l)
		}
		b.WriteString("\n")
	}

	if len(p.Manifests) > 0 {
		b.WriteString("| | Manifest | Change |\n| :-: | --- | --- |\n")
		for _, m := range p.Manifests {
			what := map[Action]string{Add: "added", Remove: "removed", Change: "changed"}[m.Action]
			if m.Action == Change {
				what = fmt.Sprintf("%d %s", len(m.Fields), plural(len(m.Fields), "field", "fields"))
			}
			if len(m.Breaking) > 0 {
				what += ", **breaking**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", sign(m.Action), cell(code(m.ID.String())), what)
		}
		b.WriteString("\n")
	}
	if len(p.Images) > 0 {
		b.WriteString("| | Image (same tag, new digest) | Before | After |\n| :-: | --- | --- | --- |\n")
		for _, ic := range p.Images {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", sign(Change), cell(code(ic.Image)), cell(code(shortID(ic.Old))), cell(code(shortID(ic.New))))
		}
		b.WriteString("\n")
	}
	if len(p.Pins) > 0 {
		if p.Diff {
			fmt.Fprintf(&b, "| | Source pin | %s | %s |\n| :-: | --- | --- | --- |\n", cell(code(p.Against)), cell(code(p.Environment)))
		} else {
			b.WriteString("| | Source pin | Before | After |\n| :-: | --- | --- | --- |\n")
		}
		for _, pc := range p.Pins {
			var before, after, what string
			if pc.Old != nil {
				before, what = code(shortID(pc.Old.ID)), pinWhat(pc.Old)
			}
			if pc.New != nil {
				after, what = code(shortID(pc.New.ID)), pinWhat(pc.New)
			}
			fmt.Fprintf(&b, "| %s | %s (%s) | %s | %s |\n", sign(pc.Action), cell(code(pc.Name)), cell(escapeMD(what)), cell(before), cell(after))
		}
		b.WriteString("\n")
	}

	if o := p.Overlays; o != nil && o.Differ {
		b.WriteString("| Environment | Overlays |\n| --- | --- |\n")
		fmt.Fprintf(&b, "| %s | %s |\n", cell(code(p.Against)), cell(escapeMD(overlayList(o.Against))))
		fmt.Fprintf(&b, "| %s | %s |\n\n", cell(code(p.Environment)), cell(escapeMD(overlayList(o.Environment))))
	}

	budget := markdownBudget
	for _, m := range p.Manifests {
		summary := fmt.Sprintf("%s <code>%s</code>", sign(m.Action), html.EscapeString(m.ID.String()))
		if m.Action == Change {
			summary += fmt.Sprintf(": %d %s", len(m.Fields), plural(len(m.Fields), "field", "fields"))
		}
		if len(m.Breaking) > 0 {
			summary += ", <b>breaking</b>"
		}
		fmt.Fprintf(&b, "<details><summary>%s</summary>\n\n", summary)
		for _, r := range m.Breaking {
			fmt.Fprintf(&b, "- **breaking**: %s\n", escapeMD(r))
		}
		for _, f := range m.Fields {
			switch f.Action {
			case Add:
				fmt.Fprintf(&b, "- %s: added %s\n", code(f.Path), code(formatValue(f.New)))
			case Remove:
				fmt.Fprintf(&b, "- %s: removed (was %s)\n", code(f.Path), code(formatValue(f.Old)))
			default:
				fmt.Fprintf(&b, "- %s: %s → %s\n", code(f.Path), code(formatValue(f.Old)), code(formatValue(f.New)))
			}
		}
		if len(m.Breaking) > 0 || len(m.Fields) > 0 {
			b.WriteString("\n")
		}
		switch {
		case m.Diff == "":
		case len(m.Diff) > budget:
			b.WriteString("_The diff is left out to keep this comment within GitHub's size limit; run `ork plan` to see it._\n\n")
			budget = 0
		default:
			budget -= len(m.Diff)
			fence := fenceFor(m.Diff)
			fmt.Fprintf(&b, "%sdiff\n%s%s\n\n", fence, m.Diff, fence)
		}
		b.WriteString("</details>\n\n")
	}
	if p.Diff {
		fmt.Fprintf(&b, "Environments' bundle digests: %s %s, %s %s.\n", code(p.Against), code(p.PreviousDigest), code(p.Environment), code(p.Digest))
	} else {
		fmt.Fprintf(&b, "Planned bundle digest: %s (`ork verify --digest %s BUNDLE` checks that a bundle is the one planned).\n", code(p.Digest), p.Digest)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func sign(a Action) string {
	switch a {
	case Add:
		return "+"
	case Remove:
		return "-"
	}
	return "~"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// code renders s as an inline code span, whatever backticks it holds.
func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || len(fence) > 1 {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// cell makes text safe in a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// escapeMD escapes the characters markdown would read as markup in prose.
func escapeMD(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "|", `\|`)
	return r.Replace(s)
}

// fenceFor returns a code fence longer than any run of backticks in s.
func fenceFor(s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence
}
