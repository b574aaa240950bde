package manifest

import (
	"bytes"
	"crypto/sha256"
)

// A stream is also decoded piece by piece, a piece being its text from one
// document marker to the next, so that an earlier run's documents can be
// reused for every piece whose text has not changed: a file edited in one
// document is decoded again in that document only. Decoding a piece alone
// gives what decoding the whole stream gives, as for parts (FuzzDecodeKnown
// holds it to that).

// PieceSum identifies a piece by the sha256 of its text.
type PieceSum [sha256.Size]byte

// Known holds what pieces decoded to, by their text's sum.
type Known map[PieceSum]Decoded

// Decoded is what a piece decodes to: how many documents of the stream it
// holds, empty ones included (one, or none for a stream's first piece when
// it holds nothing but comments), and the one that is not empty, if any.
type Decoded struct {
	Count int
	Parts []Part
}

// Part is a document of a piece: where it starts, its line counted from
// the start of the piece, and what it holds, with its duplicate names
// (Doc.Duplicates; their lines too count from the start of the piece, and
// their file is the one the piece is found in).
type Part struct {
	Line, Col  int
	Object     map[string]any
	Duplicates []Duplicate
}

// DecodeKnown is Decode taking from known the documents of every piece of
// data it holds. It also returns the pieces of data, for the next time: nil
// when data was decoded whole, because it cannot be cut at document markers
// (see cuttable) or may hold an anchor (any '&'). An entry of known that
// could not come from decoding a piece is not used.
func DecodeKnown(file, source string, data []byte, known Known) ([]*Doc, Known, error) {
	if !cuttable(data) || bytes.IndexByte(data, '&') >= 0 {
		// yaml.v3 resolves an alias to the anchor of an earlier document
		// of the stream: with an anchor, a piece may depend on another's
		// text. (Decoding in parts is safe: an alias whose anchor is in
		// another part fails the part, and the stream is decoded whole.)
		docs, err := Decode(file, source, data)
		return docs, nil, err
	}
	pieces := cutPieces(data)
	sums := make([]PieceSum, len(pieces))
	decoded := make([]Decoded, len(pieces))
	var todo []int
	for i, p := range pieces {
		sums[i] = sha256.Sum256(p.data)
		if d, ok := known[sums[i]]; ok && usable(d) {
			decoded[i] = d
		} else {
			todo = append(todo, i)
		}
	}
	src := &srcFile{data: data}
	// Pieces not known are decoded in runs, each as one stream (in parts
	// when large), rather than one by one: a file seen for the first time
	// costs what Decode costs.
	for r := 0; r < len(todo); {
		first, last := todo[r], todo[r]
		for r++; r < len(todo) && todo[r] == last+1; r++ {
			last = todo[r]
		}
		end := pieces[last].at + len(pieces[last].data)
		docs, count, err := decodeRun(file, source, src, data[pieces[first].at:end], pieces[first].lines)
		if err != nil || !attribute(docs, count, pieces[first:last+1], decoded[first:last+1]) {
			// Decoded again as one stream, which reports the problems as usual.
			docs, err := Decode(file, source, data)
			return docs, nil, err
		}
	}
	var docs []*Doc
	out := make(Known, len(pieces))
	index := 0 // of the piece's first document in the stream
	for i, p := range pieces {
		d := decoded[i]
		for _, part := range d.Parts {
			id, _ := identity(part.Object) // usable, or decoded with one
			docs = append(docs, &Doc{Object: part.Object, ID: id, Pos: Pos{File: file, Line: p.lines + part.Line, Col: part.Col},
				Source: source, Duplicates: movedTo(part.Duplicates, file, p.lines), file: src, index: index})
		}
		index += d.Count
		out[sums[i]] = d
	}
	return docs, out, nil
}

// usable reports whether d could come from decoding a piece: at most one
// document, a mapping with an identity.
func usable(d Decoded) bool {
	if d.Count < 0 || d.Count > 1 || len(d.Parts) > d.Count {
		return false
	}
	for _, p := range d.Parts {
		if _, err := identity(p.Object); err != nil {
			return false
		}
	}
	return true
}

// attribute shares the documents of a run of pieces decoded as one stream
// of count documents among them. Every piece opens with a document marker,
// and so holds one document of the stream, but the stream's first, which
// holds one if it has any content; false if the counts do not agree.
func attribute(docs []*Doc, count int, pieces []part, decoded []Decoded) bool {
	first := count - (len(pieces) - 1) // documents in the first piece
	if first < 0 || first > 1 || opensWithMarker(pieces[0].data) && first != 1 {
		return false
	}
	for i := range decoded {
		decoded[i] = Decoded{Count: 1}
	}
	decoded[0].Count = first
	for _, d := range docs {
		k := d.index - first + 1 // piece k > 0 holds the run's document first+k-1
		if k < 0 || k >= len(pieces) || d.Pos.Line <= pieces[k].lines || k+1 < len(pieces) && d.Pos.Line > pieces[k+1].lines {
			return false // not in the piece's lines
		}
		decoded[k].Parts = append(decoded[k].Parts, Part{Line: d.Pos.Line - pieces[k].lines, Col: d.Pos.Col, Object: d.Object, Duplicates: movedTo(d.Duplicates, "", -pieces[k].lines)})
	}
	return true
}

// movedTo returns dups with their positions in file (unless empty), lines
// further down.
func movedTo(dups []Duplicate, file string, lines int) []Duplicate {
	if len(dups) == 0 {
		return nil
	}
	out := make([]Duplicate, len(dups))
	for i, d := range dups {
		d.Pos.Line += lines
		if file != "" {
			d.Pos.File = file
		}
		out[i] = d
	}
	return out
}

// opensWithMarker reports whether data begins with a document marker.
func opensWithMarker(data []byte) bool {
	return bytes.HasPrefix(data, []byte("---")) && (len(data) == 3 || bytes.IndexByte([]byte(" \t\r\n"), data[3]) >= 0)
}

// cutPieces cuts data before every document marker but one that opens it.
func cutPieces(data []byte) []part {
	var pieces []part
	start, lines := 0, 0
	for {
		cut := nextMarker(data, start) // after start: a marker follows a newline
		if cut < 0 {
			return append(pieces, part{data: data[start:], lines: lines, at: start})
		}
		pieces = append(pieces, part{data: data[start:cut], lines: lines, at: start})
		lines += bytes.Count(data[start:cut], []byte("\n"))
		start = cut
	}
}
