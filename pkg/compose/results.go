package compose

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/orkdev/ork/pkg/codec"
	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/manifest"
)

// Results kept between runs (Options.Results):
//
//   - the documents of sources and overlays, piece by piece, so that a
//     later run parses only the pieces of a file that changed (below);
//   - each environment's bundle (Bundles only), keyed by the digest of all
//     of the environment's inputs: the Komposer's bytes, the name and
//     content digest of every source and overlay, the pins of remote
//     sources and the environment's name and value.
//
// The store adds the ork version and the schema digest to every entry, so
// a result computed by another ork or against other schemas is never used.
//
// Manifests' validation results are not kept: the checkers compiled from
// the schemas validate and complete a manifest in microseconds, less than
// keying, reading and writing its kept result took (README, Performance).

// inputs returns the digest of everything an environment's bundle is made
// from, and false when it cannot say (the environment is built from a
// branch, is ephemeral, or a source could not be read: the build that
// follows reports why).
func (b *builder) inputs(ctx context.Context, env komposer.Environment) (string, bool) {
	k := b.k
	if b.snapshot != nil || b.opts.Ephemeral != nil || k.Digest == "" || k.PinImages {
		// With images pinned, building an environment also adds and
		// checks its image pins in ork.lock (and promote reads which
		// images it uses): it must be built, not taken from a kept bundle.
		return "", false
	}
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{0})
		h.Write([]byte(s))
	}
	field("ork bundle inputs 1")
	field(k.Path)
	field(k.Digest)
	field(env.Name)
	field(b.opts.EnvValue)
	for _, s := range k.Sources {
		field(s.Name)
		if rt := b.read[s.Name]; rt != nil {
			field(rt.pin.Type + " " + rt.pin.Location + " " + rt.pin.ID)
			continue
		}
		if l := b.paths[s.Name]; l != nil && local(s) {
			field(l.pin.Type + " " + l.pin.Location + " " + l.pin.ID)
			continue
		}
		if local(s) {
			return "", false
		}
		// A remote source is read at its pin, as a build would: from the
		// source cache, whose entries are verified on the way.
		l, err := b.source(ctx, env, s)
		if err != nil {
			return "", false
		}
		field(strings.Join([]string{l.pin.Type, l.pin.Location, l.pin.Ref, l.pin.Path, l.pin.ID, l.pin.From}, " "))
	}
	for _, o := range env.Overlays {
		rt, err := b.readOverlay(o)
		if err != nil {
			return "", false
		}
		field(rt.pin.Location + " " + rt.pin.ID)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), true
}

// bundleSlot names an environment's bundle entry.
func bundleSlot(opts Options, env string) string {
	return "bundle\x00" + opts.Komposer.Path + "\x00" + env + "\x00" + opts.EnvValue
}

// An environment's bundle entry holds a line of counts (cachedBundleHead)
// and the bundle's bytes.
func cachedBundleHead(manifests, crds int) []byte {
	return fmt.Appendf(nil, "%d %d\n", manifests, crds)
}

func decodeCachedBundle(payload []byte) (manifests, crds int, data []byte, ok bool) {
	line, rest, found := bytes.Cut(payload, []byte{'\n'})
	if !found {
		return 0, 0, nil, false
	}
	a, c, found := strings.Cut(string(line), " ")
	m, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(c)
	if !found || err1 != nil || err2 != nil || m < 0 || n < 0 {
		return 0, 0, nil, false
	}
	return m, n, rest, true
}

// decodedHits counts the pieces of files whose documents were taken from
// an earlier run, and bundleHits the environments' bundles, for tests.
var decodedHits, bundleHits atomic.Int64

// The documents of path: sources and overlays are kept too, piece by piece
// (manifest.DecodeKnown): every environment is made from the same sources,
// so when one must be built again its sources' documents are read back
// rather than parsed as YAML, and an overlay edited in one document is
// parsed again in that document only. A layer's entry holds the pieces of
// its files as last decoded; positions are still found in the files.
//
// An overlay is decoded only to build its environment, and a build from
// scratch (as in CI) builds every environment once: keeping every
// overlay's pieces would cost such a build a tenth of its time for nothing.
// So an overlay's pieces are kept only when its environment was built
// before with this cache (builtBefore): the first edit after a build from
// scratch parses the edited overlay whole, the next ones only what they
// change.

// piecesKey is the key of the pieces entries: each piece in them is keyed
// by the sum of its text.
const piecesKey = "pieces 2"

func (b *builder) piecesSlot(rt *readTree) string {
	return "pieces\x00" + b.k.Path + "\x00" + rt.name
}

// keptPieces returns the pieces of rt's files kept by the last run that
// decoded it, and nil when rt is decoded whole and its pieces not kept:
// without kept results, or for an overlay of an environment env not
// built before.
func (b *builder) keptPieces(rt *readTree, env string) manifest.Known {
	if b.opts.Results == nil {
		return nil
	}
	if payload, ok := b.opts.Results.Get(b.piecesSlot(rt), piecesKey); ok {
		if k, err := decodePieces(payload); err == nil {
			return k
		}
	}
	if env != "" && !b.builtBefore(env) {
		return nil
	}
	return manifest.Known{}
}

// builtSlot names the entry that says an environment was built with this
// cache; builtKey is its key.
func (b *builder) builtSlot(env string) string {
	return "built\x00" + b.k.Path + "\x00" + env + "\x00" + b.opts.EnvValue
}

const builtKey = "built 1"

// builtBefore reports whether env was built before with this cache, as
// the run started.
func (b *builder) builtBefore(env string) bool {
	if v, ok := b.built.Load(env); ok {
		return v.(bool)
	}
	_, found := b.opts.Results.Get(b.builtSlot(env), builtKey)
	v, _ := b.built.LoadOrStore(env, found)
	return v.(bool)
}

// markBuilt records that env is built with this cache, for the next run.
func (b *builder) markBuilt(env string) {
	if b.opts.Results != nil && !b.builtBefore(env) {
		// A failed write costs the next run time, not this one its result.
		_ = b.opts.Results.Put(b.builtSlot(env), builtKey, nil)
	}
}

// keepPieces keeps the pieces of rt's files as this run decoded them, when
// they differ from those it found kept.
func (b *builder) keepPieces(rt *readTree, known, pieces manifest.Known) {
	if known == nil || pieces == nil {
		return
	}
	reused := 0
	for sum := range pieces {
		if _, ok := known[sum]; ok {
			reused++
		}
	}
	decodedHits.Add(int64(reused))
	if reused == len(pieces) && len(known) == len(pieces) {
		return
	}
	if payload, ok := encodePieces(pieces); ok {
		_ = b.opts.Results.Put(b.piecesSlot(rt), piecesKey, payload)
	}
}

// encodePieces writes pieces in the order of their sums: the number of
// pieces, then each one's sum and the length of its body: the number of
// documents of its stream, and its documents' lines, columns and objects.
// The lengths let decodePieces read the bodies on every core.
func encodePieces(pieces manifest.Known) ([]byte, bool) {
	sums := slices.SortedFunc(maps.Keys(pieces), func(a, b manifest.PieceSum) int { return bytes.Compare(a[:], b[:]) })
	out := binary.AppendUvarint(nil, uint64(len(sums)))
	var body []byte
	for _, sum := range sums {
		d := pieces[sum]
		body = binary.AppendUvarint(body[:0], uint64(d.Count))
		body = binary.AppendUvarint(body, uint64(len(d.Parts)))
		for _, p := range d.Parts {
			if len(p.Duplicates) > 0 {
				return nil, false // a layer with duplicate names fails; its pieces are not kept
			}
			body = binary.AppendUvarint(body, uint64(p.Line))
			body = binary.AppendUvarint(body, uint64(p.Col))
			var ok bool
			if body, ok = codec.AppendValue(body, p.Object); !ok {
				return nil, false
			}
		}
		out = append(out, sum[:]...)
		out = binary.AppendUvarint(out, uint64(len(body)))
		out = append(out, body...)
	}
	return out, true
}

func decodePieces(payload []byte) (manifest.Known, error) {
	r := codec.NewReader(payload)
	n := r.Count()
	sums := make([]manifest.PieceSum, 0, n)
	bodies := make([][]byte, 0, n)
	for range n {
		var sum manifest.PieceSum
		if len(r.Rest()) < len(sum) {
			return nil, codec.ErrShort
		}
		copy(sum[:], r.Rest())
		r.Skip(len(sum))
		size := r.Count()
		if r.Err() != nil {
			return nil, r.Err()
		}
		if size > uint64(len(r.Rest())) {
			return nil, codec.ErrShort
		}
		sums = append(sums, sum)
		bodies = append(bodies, r.Rest()[:size])
		r.Skip(int(size))
	}
	if r.Err() != nil || len(r.Rest()) != 0 {
		return nil, errors.New("damaged pieces")
	}
	decoded := make([]manifest.Decoded, len(bodies))
	errs := make([]error, len(bodies))
	forSpans(len(bodies), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			decoded[i], errs[i] = decodePiece(bodies[i])
		}
	})
	known := make(manifest.Known, len(sums))
	for i, sum := range sums {
		if errs[i] != nil {
			return nil, errs[i]
		}
		known[sum] = decoded[i]
	}
	return known, nil
}

func decodePiece(body []byte) (manifest.Decoded, error) {
	r := codec.NewReader(body)
	// Lines and columns count from the start of the piece, not within
	// the body: they may exceed its length (a document after a long
	// comment), so they are not bounded by it as counts of items are.
	d := manifest.Decoded{Count: int(r.Uvarint())}
	for range r.Count() {
		line, col := r.Uvarint(), r.Uvarint()
		if line > math.MaxInt32 || col > math.MaxInt32 {
			return manifest.Decoded{}, errors.New("a piece's position is out of range")
		}
		obj, ok := r.Value().(map[string]any)
		if r.Err() != nil {
			return manifest.Decoded{}, r.Err()
		}
		if !ok {
			return manifest.Decoded{}, errors.New("a piece's document is not a mapping")
		}
		d.Parts = append(d.Parts, manifest.Part{Line: int(line), Col: int(col), Object: obj})
	}
	if r.Err() != nil || len(r.Rest()) != 0 {
		return manifest.Decoded{}, errors.New("damaged piece")
	}
	return d, nil
}
