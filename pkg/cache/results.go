package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
)

// Results stores what ork computed from its inputs, so that a later run
// given the same inputs reuses it: one entry per slot (such as one
// environment of one Komposer), each answering only for the key it was
// stored with (a digest of every input of the result). Entries carry the
// ork version and schema digest they were computed with and a checksum of
// their content: an entry of another version or schema is a miss, and a
// damaged one is removed. Like source trees, entries are written
// atomically, so processes may share the directory.
type Results struct {
	dir   string
	stamp string // ork version and schema digest, the entries' first lines

	dropped atomic.Int64
}

// resultsMagic starts every results entry.
const resultsMagic = "ork-results 1\n"

// Results returns the results store of this cache for one ork version and
// schema digest. Both must be non-empty and single-line.
func (c *Cache) Results(version, schemaDigest string) (*Results, error) {
	for _, s := range []string{version, schemaDigest} {
		if s == "" || strings.ContainsAny(s, "\n\r") {
			return nil, fmt.Errorf("invalid results stamp %q", s)
		}
	}
	return &Results{dir: filepath.Join(c.dir, "results"), stamp: version + "\n" + schemaDigest + "\n"}, nil
}

// Dropped counts the damaged entries removed so far.
func (r *Results) Dropped() int64 { return r.dropped.Load() }

func (r *Results) path(slot string) string {
	sum := sha256.Sum256([]byte(slot))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(r.dir, h[:2], h)
}

// Get returns the payload stored in slot for key. An entry stored for
// another key, ork version or schema is a miss; a damaged entry is removed
// and is a miss.
func (r *Results) Get(slot, key string) ([]byte, bool) {
	p := r.path(slot)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	payload, stamp, gotKey, err := parseResult(data)
	if err != nil {
		// Removing may race with a writer replacing the entry; the
		// writer's rename wins or loses, and either leaves a whole file
		// or none.
		if os.Remove(p) == nil || errors.Is(err, fs.ErrNotExist) {
			r.dropped.Add(1)
		}
		return nil, false
	}
	if stamp != r.stamp || gotKey != key {
		return nil, false
	}
	return payload, true
}

// Holds reports whether slot's entry for key holds exactly the payload
// head followed by rest, where head, which it returns, is the start of the
// entry's payload up to and including its first newline. It reads the
// entry's first bytes, not its payload, and checks the entry's checksum
// over head and rest: a caller that has rest already (a bundle on disk)
// learns that it is what the entry holds without reading it again.
func (r *Results) Holds(slot, key string, rest []byte) (head []byte, ok bool) {
	f, err := os.Open(r.path(slot))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, _ := io.ReadFull(f, buf)
	h, after, err := readHeader(buf[:n])
	if err != nil || h.stamp != r.stamp || h.key != key {
		return nil, false
	}
	head, _, found := bytes.Cut(after, []byte{'\n'})
	if !found {
		return nil, false
	}
	head = after[:len(head)+1]
	st, err := f.Stat()
	if err != nil || st.Size() != int64(n-len(after)+len(head)+len(rest)) {
		return nil, false
	}
	sum := sha256.New()
	sum.Write(head)
	sum.Write(rest)
	if h.checksum != hex.EncodeToString(sum.Sum(nil)) {
		return nil, false
	}
	return bytes.Clone(head), true
}

// Put stores payload, the concatenation of parts, in slot for key,
// replacing what the slot held. A large payload made of a header and a
// body is written from its parts, not copied into one.
func (r *Results) Put(slot, key string, parts ...[]byte) error {
	if strings.ContainsAny(key, "\n\r") {
		return fmt.Errorf("invalid results key %q", key)
	}
	sum := sha256.New()
	for _, p := range parts {
		sum.Write(p)
	}
	head := make([]byte, 0, len(resultsMagic)+len(r.stamp)+len(key)+2*sha256.Size+2)
	head = append(head, resultsMagic...)
	head = append(head, r.stamp...)
	head = append(head, key...)
	head = append(head, '\n')
	head = hex.AppendEncode(head, sum.Sum(nil))
	head = append(head, '\n')
	return writeAtomic(r.path(slot), append([][]byte{head}, parts...)...)
}

// parseResult splits an entry into its payload, stamp and key, checking its
// format and checksum.
func parseResult(data []byte) (payload []byte, stamp, key string, err error) {
	h, rest, err := readHeader(data)
	if err != nil {
		return nil, "", "", err
	}
	sum := sha256.Sum256(rest)
	if h.checksum != hex.EncodeToString(sum[:]) {
		return nil, "", "", errors.New("results entry does not match its checksum")
	}
	return rest, h.stamp, h.key, nil
}

// header is what an entry says before its payload.
type header struct {
	stamp    string // version and schema digest, each line with its newline
	key      string
	checksum string // of the payload, in hex
}

// readHeader reads an entry's header from its first bytes, and returns the
// bytes after it.
func readHeader(data []byte) (header, []byte, error) {
	rest, ok := bytes.CutPrefix(data, []byte(resultsMagic))
	if !ok {
		return header{}, nil, errors.New("not a results entry")
	}
	var lines [4]string // version, schema digest, key, checksum
	for i := range lines {
		line, after, ok := bytes.Cut(rest, []byte{'\n'})
		if !ok {
			return header{}, nil, errors.New("truncated results entry")
		}
		lines[i], rest = string(line), after
	}
	return header{stamp: lines[0] + "\n" + lines[1] + "\n", key: lines[2], checksum: lines[3]}, rest, nil
}
