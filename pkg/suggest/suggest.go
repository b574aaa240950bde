// Package suggest finds the word a user most likely meant: the closest of a
// set of known words (commands, flags, fields, directories) by edit distance.
package suggest

import (
	"strings"

	"github.com/xrash/smetrics"
)

// Closest returns the candidate nearest to word by Levenshtein distance
// (case-insensitive; two adjacent letters swapped count as one edit), if it is near enough to be a likely misspelling: at
// most a third of word's length away (at least 1, at most 3 edits). Ties go
// to the earlier candidate. It returns "" when no candidate is near enough,
// or when word is itself a candidate.
func Closest(word string, candidates []string) string {
	w := strings.ToLower(word)
	limit := min(max(len(w)/3, 1), 3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if c == word {
			return ""
		}
		lc := strings.ToLower(c)
		d := smetrics.WagnerFischer(w, lc, 1, 1, 1)
		if d == 2 && swapped(w, lc) {
			d = 1
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// swapped reports whether a and b differ only by two adjacent letters
// swapped.
func swapped(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
}
