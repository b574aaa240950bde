package plan

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// contextLines is how many unchanged lines a hunk shows around a change.
const contextLines = 3

// unified returns a unified diff of two texts ("" for none), line by line,
// with three lines of context: "--- before", "+++ after", then hunks.
// Lines are diffed as whole units (go-diff's line mode), so the cost grows
// with the number of lines, not of characters.
func unified(a, b string) string {
	if a == b {
		return ""
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // the same diff on every machine
	ca, cb, lines := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)

	type line struct {
		op   byte // ' ', '-' or '+'
		text string
	}
	var all []line
	for _, d := range diffs {
		op := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = '-'
		case diffmatchpatch.DiffInsert:
			op = '+'
		}
		text := d.Text
		for text != "" {
			i := strings.IndexByte(text, '\n')
			if i < 0 {
				all = append(all, line{op, text})
				break
			}
			all = append(all, line{op, text[:i]})
			text = text[i+1:]
		}
	}

	var out strings.Builder
	out.WriteString("--- before\n+++ after\n")
	for i := 0; i < len(all); {
		if all[i].op == ' ' {
			i++
			continue
		}
		// A hunk: from context lines before the change to contextLines lines
		// after the last change that is at most 2*contextLines lines further.
		start := max(0, i-contextLines)
		end := i
		for j := i; j < len(all); j++ {
			if all[j].op != ' ' {
				end = j
			} else if j-end > 2*contextLines {
				break
			}
		}
		stop := min(len(all), end+contextLines+1)
		oldStart, newStart := 1, 1
		for _, l := range all[:start] {
			if l.op != '+' {
				oldStart++
			}
			if l.op != '-' {
				newStart++
			}
		}
		var oldLines, newLines int
		for _, l := range all[start:stop] {
			if l.op != '+' {
				oldLines++
			}
			if l.op != '-' {
				newLines++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(oldStart, oldLines), hunkRange(newStart, newLines))
		for _, l := range all[start:stop] {
			out.WriteByte(l.op)
			out.WriteString(l.text)
			out.WriteByte('\n')
		}
		i = stop
	}
	return out.String()
}

// hunkRange formats a hunk's range as diff does: "start,count", with the
// line before the hunk as start when the hunk has no line on that side.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}
