// Package codec writes the plain values ork decodes manifests into (maps,
// lists, strings, int64, float64, booleans, null) as compact bytes and
// reads them back, for the results kept between runs. Equal values encode
// to equal bytes, so an encoding is also a content key.
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrShort is the error for bytes that end before what they announce.
var ErrShort = errors.New("truncated")

// Values are encoded with a tag byte each: 'm' a mapping (its size, then
// each key and value in key order), 'l' a list, 's' a string, 'i' an
// int64, 'f' a float64, 't' and 'F' the booleans, 'n' null.

// AppendValue appends v's encoding to out; false when v holds a type that
// is not a plain value.
func AppendValue(out []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case map[string]any:
		out = append(out, 'm')
		out = binary.AppendUvarint(out, uint64(len(x)))
		var small [16]string // most maps of a manifest are small
		keys := small[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = AppendString(out, k)
			var ok bool
			if out, ok = AppendValue(out, x[k]); !ok {
				return out, false
			}
		}
	case []any:
		out = append(out, 'l')
		out = binary.AppendUvarint(out, uint64(len(x)))
		for _, e := range x {
			var ok bool
			if out, ok = AppendValue(out, e); !ok {
				return out, false
			}
		}
	case string:
		out = AppendString(append(out, 's'), x)
	case int64:
		out = binary.AppendVarint(append(out, 'i'), x)
	case float64:
		out = binary.LittleEndian.AppendUint64(append(out, 'f'), math.Float64bits(x))
	case bool:
		if x {
			out = append(out, 't')
		} else {
			out = append(out, 'F')
		}
	case nil:
		out = append(out, 'n')
	default:
		return out, false
	}
	return out, true
}

// AppendString appends a string: its length, then its bytes.
func AppendString(out []byte, s string) []byte {
	out = binary.AppendUvarint(out, uint64(len(s)))
	return append(out, s...)
}

// maxDepth bounds the nesting read back, as manifest decoding does.
const maxDepth = 1000

// ReadValue reads one value from the start of data and returns it with the
// bytes after it.
func ReadValue(data []byte) (any, []byte, error) { return readValue(data, 0) }

func readValue(data []byte, depth int) (any, []byte, error) {
	if depth > maxDepth {
		return nil, nil, errors.New("too deep")
	}
	if len(data) == 0 {
		return nil, nil, ErrShort
	}
	tag, data := data[0], data[1:]
	switch tag {
	case 'm', 'l':
		n, w := binary.Uvarint(data)
		if w <= 0 || n > uint64(len(data)) {
			return nil, nil, ErrShort
		}
		data = data[w:]
		if tag == 'l' {
			l := make([]any, n)
			for i := range l {
				var err error
				if l[i], data, err = readValue(data, depth+1); err != nil {
					return nil, nil, err
				}
			}
			return l, data, nil
		}
		m := make(map[string]any, n)
		for range n {
			r := NewReader(data)
			k := r.String()
			if r.Err() != nil {
				return nil, nil, r.Err()
			}
			v, rest, err := readValue(r.Rest(), depth+1)
			if err != nil {
				return nil, nil, err
			}
			m[k], data = v, rest
		}
		return m, data, nil
	case 's':
		r := NewReader(data)
		s := r.String()
		return s, r.Rest(), r.Err()
	case 'i':
		x, w := binary.Varint(data)
		if w <= 0 {
			return nil, nil, ErrShort
		}
		return x, data[w:], nil
	case 'f':
		if len(data) < 8 {
			return nil, nil, ErrShort
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(data)), data[8:], nil
	case 't':
		return true, data, nil
	case 'F':
		return false, data, nil
	case 'n':
		return nil, data, nil
	}
	return nil, nil, fmt.Errorf("unknown value tag %q", tag)
}

// Reader reads counts and strings, remembering the first error.
type Reader struct {
	data []byte
	err  error
}

// NewReader reads data.
func NewReader(data []byte) *Reader { return &Reader{data: data} }

// Err is the first error met, if any.
func (r *Reader) Err() error { return r.err }

// Rest is what is left to read.
func (r *Reader) Rest() []byte { return r.data }

// Skip moves past n bytes read by other means.
func (r *Reader) Skip(n int) { r.data = r.data[n:] }

// Count reads an unsigned count, which cannot exceed the bytes left.
func (r *Reader) Count() uint64 {
	if r.err != nil {
		return 0
	}
	n, w := binary.Uvarint(r.data)
	if w <= 0 || n > uint64(len(r.data)) {
		r.err = ErrShort
		return 0
	}
	r.data = r.data[w:]
	return n
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.data) == 0 {
		r.err = ErrShort
		return 0
	}
	b := r.data[0]
	r.data = r.data[1:]
	return b
}

// Uvarint reads an unsigned number written with binary.AppendUvarint; unlike
// Count, its value is not bounded by the bytes left.
func (r *Reader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	n, w := binary.Uvarint(r.data)
	if w <= 0 {
		r.err = ErrShort
		return 0
	}
	r.data = r.data[w:]
	return n
}

// String reads a string written by AppendString.
func (r *Reader) String() string {
	n := r.Count()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.data)) {
		r.err = ErrShort
		return ""
	}
	s := string(r.data[:n])
	r.data = r.data[n:]
	return s
}

// Value reads a value written by AppendValue.
func (r *Reader) Value() any {
	if r.err != nil {
		return nil
	}
	v, rest, err := ReadValue(r.data)
	if err != nil {
		r.err = err
		return nil
	}
	r.data = rest
	return v
}
