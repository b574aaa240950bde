// Package manifest decodes Kubernetes-style YAML and JSON documents into plain
// Go values, keeping where each one came from so that later errors can point
// at a file, line and column.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Pos is a position in a user's file. Line and Col are 1-based; zero means
// unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as file:line:col, leaving out what is unknown.
func (p Pos) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is an error about user input at a position, from a named source.
type Error struct {
	Pos    Pos
	Source string
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	if s := e.Pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Source != "" {
		fmt.Fprintf(&b, " (source %q)", e.Source)
	}
	return b.String()
}

// Errorf returns an *Error at pos from source.
func Errorf(pos Pos, source, format string, args ...any) error {
	return &Error{Pos: pos, Source: source, Msg: fmt.Sprintf(format, args...)}
}

// ID identifies a manifest within a Katalog: two documents with the same ID
// are the same object, and later layers merge into earlier ones.
type ID struct {
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// String formats the ID as Kind[.group] [namespace/]name.
func (id ID) String() string {
	k := id.Kind
	if id.Group != "" {
		k += "." + id.Group
	}
	if id.Namespace != "" {
		return k + " " + id.Namespace + "/" + id.Name
	}
	return k + " " + id.Name
}

// Less orders IDs by group, kind, namespace and name: the bundle's order.
func (id ID) Less(o ID) bool {
	if id.Group != o.Group {
		return id.Group < o.Group
	}
	if id.Kind != o.Kind {
		return id.Kind < o.Kind
	}
	if id.Namespace != o.Namespace {
		return id.Namespace < o.Namespace
	}
	return id.Name < o.Name
}

// Group returns the API group of an apiVersion ("" for the core group).
func Group(apiVersion string) string {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

// Doc is one decoded document of a layer.
type Doc struct {
	Object map[string]any
	ID     ID
	Pos    Pos    // where the document starts
	Source string // the source or overlay it came from
	// Duplicates are the items of the document's named lists (the lists
	// of its mappings) that repeat an earlier item's name, found as it
	// was decoded.
	Duplicates []Duplicate

	// Where the document's YAML nodes are: the index-th document of file,
	// at path inside it. Nodes are not kept after decoding (they take more
	// memory than the values), only re-read when a position is asked for,
	// which happens only on errors.
	file  *srcFile
	index int
	path  []string
}

// Duplicate is an item of a named list (containers, ports, env...: a list
// of mappings that each have a string name) whose name an earlier item of
// the list has. Layers merge such lists by name, so the two would become
// one.
type Duplicate struct {
	Path  []string // to the item's name, through keys and list indices
	Name  string
	First int // the earlier item's index
	Pos   Pos // of the item's name
}

// srcFile is a decoded file's bytes, re-parsed on demand for positions.
type srcFile struct {
	data  []byte
	once  sync.Once
	roots []*yaml.Node // every document of the stream, by index
}

func (f *srcFile) root(i int) *yaml.Node {
	f.once.Do(func() {
		dec := yaml.NewDecoder(bytes.NewReader(f.data))
		for {
			var n yaml.Node
			if err := dec.Decode(&n); err != nil {
				return
			}
			f.roots = append(f.roots, &n)
		}
	})
	if i < 0 || i >= len(f.roots) {
		return nil
	}
	return f.roots[i]
}

// node returns the document's YAML node, or nil.
func (d *Doc) node() *yaml.Node {
	if d.file == nil {
		return nil
	}
	n := d.file.root(d.index)
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, sel := range d.path {
		n = child(n, sel)
	}
	return n
}

// Decode reads every document of a YAML (or JSON) stream. Empty documents are
// skipped. Each document must be a mapping with apiVersion, kind and
// metadata.name; every problem found is returned, joined.
func Decode(file, source string, data []byte) ([]*Doc, error) {
	docs, _, err := decodeRun(file, source, &srcFile{data: data}, data, 0)
	return docs, err
}

// decodeRun decodes data, lines lines into src's file, in parts when it is
// large, and returns its documents and how many the stream holds.
func decodeRun(file, source string, src *srcFile, data []byte, lines int) ([]*Doc, int, error) {
	if parts := splitStream(data, runtime.GOMAXPROCS(0), minPart); len(parts) > 1 {
		for i := range parts {
			parts[i].lines += lines
		}
		if docs, count, ok := decodeParts(file, source, src, parts); ok {
			return docs, count, nil
		}
		// Decoded again as one stream, which reports the problem as usual.
	}
	return decodeStream(file, source, src, data, lines)
}

// A large stream is decoded in parts, on as many goroutines as there are
// CPUs: an environment's overlay is often one file of hundreds of
// documents, and when only that environment is built again its file would
// otherwise be decoded on one core. Parts begin at document markers ("---"
// at the start of a line, which YAML allows inside no scalar), so each part
// is a stream of whole documents.

// minPart is the smallest part worth a goroutine of its own.
const minPart = 32 << 10

// part is a stretch of a stream: its bytes and the number of lines before it.
type part struct {
	data  []byte
	lines int
	at    int // its offset in the stream
}

// splitStream cuts data into up to n parts of about equal size, each at
// least minSize bytes, at document markers, or returns nil when it should
// be decoded whole: too small, or holding directives or document end
// markers, which bind documents to what comes before them.
func splitStream(data []byte, n, minSize int) []part {
	n = min(n, len(data)/minSize)
	if n < 2 || !cuttable(data) {
		return nil
	}
	var parts []part
	start, lines := 0, 0
	for k := 1; k < n; k++ {
		cut := nextMarker(data, max(start, k*len(data)/n))
		if cut < 0 {
			break
		}
		parts = append(parts, part{data: data[start:cut], lines: lines, at: start})
		lines += bytes.Count(data[start:cut], []byte("\n"))
		start = cut
	}
	return append(parts, part{data: data[start:], lines: lines, at: start})
}

// cuttable reports whether a stream may be cut at its document markers:
// directives and document end markers bind documents to what comes before
// them, and lines must end as the cutting counts them, with "\n". YAML
// also ends a line at a lone "\r" and at NEL, LS and PS: a stream holding
// one is decoded whole.
func cuttable(data []byte) bool {
	if bytes.HasPrefix(data, []byte("%")) || bytes.Contains(data, []byte("\n%")) || bytes.Contains(data, []byte("\n...")) {
		return false
	}
	for _, brk := range []string{"\u0085", "\u2028", "\u2029"} {
		if bytes.Contains(data, []byte(brk)) {
			return false
		}
	}
	return bytes.Count(data, []byte("\r")) == bytes.Count(data, []byte("\r\n"))
}

// nextMarker returns the offset of the first document marker line ("---"
// alone or before a space) starting after offset from, or -1.
func nextMarker(data []byte, from int) int {
	for off := from; off < len(data); {
		i := bytes.Index(data[off:], []byte("\n---"))
		if i < 0 {
			return -1
		}
		i += off + 1 // the marker's line
		if j := i + 3; j == len(data) || data[j] == ' ' || data[j] == '\t' || data[j] == '\r' || data[j] == '\n' {
			return i
		}
		off = i
	}
	return -1
}

// decodeParts decodes parts in parallel and returns their documents and how
// many the stream holds; false when any part has a problem.
func decodeParts(file, source string, src *srcFile, parts []part) ([]*Doc, int, bool) {
	type decoded struct {
		docs  []*Doc
		count int
		err   error
	}
	out := make([]decoded, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].docs, out[i].count, out[i].err = decodeStream(file, source, src, p.data, p.lines)
		}()
	}
	wg.Wait()
	var docs []*Doc
	index := 0 // of the part's first document in the whole stream
	for _, d := range out {
		if d.err != nil {
			return nil, 0, false
		}
		for _, doc := range d.docs {
			doc.index += index
		}
		docs = append(docs, d.docs...)
		index += d.count
	}
	return docs, index, true
}

// decodeStream decodes the documents of data, lines lines into the file,
// and returns them with the number of documents the stream holds (empty
// ones included).
func decodeStream(file, source string, src *srcFile, data []byte, lines int) ([]*Doc, int, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var path []step // the converters' scratch
	var docs []*Doc
	var errs []error
	i := 0
	for ; ; i++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, yamlError(file, source, data, err))
			break // the decoder cannot resume after a syntax error
		}
		root := &n
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue // an empty document between separators
		}
		pos := Pos{File: file, Line: lines + root.Line, Col: root.Column}
		if root.Kind != yaml.MappingNode {
			errs = append(errs, Errorf(pos, source, "document %d is a %s, not a mapping", i+1, kindName(root)))
			continue
		}
		c := converter{file: file, source: source, names: true, lines: lines, path: path[:0]}
		v, err := c.value(root, 0)
		path = c.path
		if err != nil {
			errs = append(errs, err)
			continue
		}
		obj := v.(map[string]any)
		id, err := identity(obj)
		if err != nil {
			errs = append(errs, Errorf(pos, source, "%v", err))
			continue
		}
		docs = append(docs, &Doc{Object: obj, ID: id, Pos: pos, Source: source, Duplicates: c.dups, file: src, index: i})
	}
	return docs, i, errors.Join(errs...)
}

func identity(obj map[string]any) (ID, error) {
	var missing []string
	apiVersion, _ := obj["apiVersion"].(string)
	if apiVersion == "" {
		missing = append(missing, "apiVersion")
	}
	kind, _ := obj["kind"].(string)
	if kind == "" {
		missing = append(missing, "kind")
	}
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if name == "" {
		missing = append(missing, "metadata.name")
	}
	if len(missing) > 0 {
		return ID{}, fmt.Errorf("document has no %s", strings.Join(missing, ", "))
	}
	ns, _ := meta["namespace"].(string)
	return ID{Group: Group(apiVersion), Kind: kind, Namespace: ns, Name: name}, nil
}

// IDOf returns the identity of a decoded object.
func IDOf(obj map[string]any) (ID, error) { return identity(obj) }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "mapping"
}

// YAMLError turns an error of yaml.v3 reading data from file into an error
// at the line it names (or, where yaml.v3 names none, the line found).
func YAMLError(file, source string, data []byte, err error) error {
	return yamlError(file, source, data, err)
}

// yamlError turns a yaml.v3 error ("yaml: line 3: ...") into a positioned
// error. For the errors yaml.v3 gives without a line, the line is found in
// data.
func yamlError(file, source string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, convErr := strconv.Atoi(rest[:i]); convErr == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	if parserProblems[msg] {
		line = parserLine(line, data)
	}
	if line == 0 {
		line = guessLine(msg, data)
	}
	return Errorf(Pos{File: file, Line: line}, source, "invalid YAML: %s", msg)
}

// parserProblems are the problems yaml.v3's parser (not its scanner)
// reports. yaml.v3 writes their line 0-based, one before the line meant:
// the line that opens the collection ("while parsing a flow sequence"), or
// where the parser stopped. An unclosed [ on line 6 is reported at line 5.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// parserLine turns the line yaml.v3 gives a parser error into the 1-based
// line meant. The parser stops at the end of the input when a collection
// is left open; that is reported at the last line that holds something.
func parserLine(line int, data []byte) int {
	lines := bytes.Split(data, []byte("\n"))
	line++ // 0-based to 1-based; yaml.v3 omits line 0, so no line means line 1
	if line <= len(lines) && len(bytes.TrimSpace(lines[line-1])) > 0 {
		return line
	}
	for n := min(line, len(lines)); n > 0; n-- {
		if len(bytes.TrimSpace(lines[n-1])) > 0 {
			return n
		}
	}
	return line
}

// guessLine finds the line of the errors yaml.v3 reports without one: an
// unknown anchor (the first use of the alias) and a control character.
func guessLine(msg string, data []byte) int {
	at := -1
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		if i := strings.IndexByte(name, '\''); i > 0 {
			at = bytes.Index(data, []byte("*"+name[:i]))
		}
	}
	if strings.HasPrefix(msg, "control characters are not allowed") {
		at = bytes.IndexFunc(data, func(r rune) bool {
			return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f
		})
	}
	if at < 0 {
		return 0
	}
	return bytes.Count(data[:at], []byte("\n")) + 1
}

// maxAliasExpansion bounds the values produced through YAML aliases, so
// that a "billion laughs" document fails instead of exhausting memory.
const maxAliasExpansion = 1 << 18

// Value converts a YAML node to plain Go values: map[string]any, []any,
// string, int64, float64, bool and nil. Integers stay integers, which CUE
// needs. Timestamps and other tagged scalars stay strings.
func Value(file, source string, n *yaml.Node) (any, error) {
	c := converter{file: file, source: source}
	return c.value(n, 0)
}

type converter struct {
	file, source string
	aliasDepth   int // > 0 while converting the target of an alias
	aliased      int // values produced through aliases

	// With names set, the converter records the duplicate names of a
	// manifest's named lists in dups (duplicateNames): lines is how many
	// lines of the file come before the node's stream, path where the
	// converter is.
	names bool
	lines int
	dups  []Duplicate
	path  []step
}

// step is a mapping key, or a list index (key unused).
type step struct {
	key   string
	index int // -1 for a key
}

func (c *converter) errorf(n *yaml.Node, format string, args ...any) error {
	return Errorf(Pos{File: c.file, Line: n.Line, Col: n.Column}, c.source, format, args...)
}

func (c *converter) value(n *yaml.Node, depth int) (any, error) {
	if depth > 200 {
		return nil, c.errorf(n, "document nests deeper than 200 levels")
	}
	if c.aliasDepth > 0 {
		if c.aliased++; c.aliased > maxAliasExpansion {
			return nil, c.errorf(n, "too many alias expansions (aliases may produce at most %d values)", maxAliasExpansion)
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		c.aliasDepth++
		defer func() { c.aliasDepth-- }()
		return c.value(n.Alias, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				return nil, c.errorf(k, "YAML merge keys (<<) are not supported; use layers")
			}
			if k.Kind != yaml.ScalarNode {
				return nil, c.errorf(k, "mapping key is a %s, not a string", kindName(k))
			}
			if _, dup := m[k.Value]; dup {
				return nil, c.errorf(k, "duplicate key %q", k.Value)
			}
			if c.names {
				c.path = append(c.path, step{key: k.Value, index: -1})
			}
			val, err := c.value(v, depth+1)
			if err != nil {
				return nil, err
			}
			if c.names {
				c.path = c.path[:len(c.path)-1]
			}
			m[k.Value] = val
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			if c.names {
				c.path = append(c.path, step{index: i})
			}
			val, err := c.value(item, depth+1)
			if err != nil {
				return nil, err
			}
			if c.names {
				c.path = c.path[:len(c.path)-1]
			}
			l = append(l, val)
		}
		if c.names && (len(c.path) == 0 || c.path[len(c.path)-1].index < 0) {
			// A list directly inside a list is copied whole by a merge,
			// not merged by name: only a mapping's lists are checked.
			c.duplicateNames(n, l)
		}
		return l, nil
	}
	return c.scalar(n)
}

// smallList is the length up to which duplicateNames compares an item's
// name with the earlier items' rather than keep a map of them.
const smallList = 16

// duplicateNames records the items of l, the values of the list node n,
// that repeat an earlier item's name: converting a manifest visits every
// list, so finding them here costs no walk of its own.
func (c *converter) duplicateNames(n *yaml.Node, l []any) {
	var seen map[string]int
	for i, item := range l {
		name, ok := itemName(item)
		if !ok {
			continue
		}
		first := -1
		if len(l) <= smallList {
			for j := range i {
				if earlier, ok := itemName(l[j]); ok && earlier == name {
					first = j
					break
				}
			}
		} else if j, dup := seen[name]; dup {
			first = j
		} else {
			if seen == nil {
				seen = make(map[string]int, len(l))
			}
			seen[name] = i
		}
		if first < 0 {
			continue
		}
		path := make([]string, 0, len(c.path)+2)
		for _, s := range c.path {
			if s.index < 0 {
				path = append(path, s.key)
			} else {
				path = append(path, strconv.Itoa(s.index))
			}
		}
		path = append(path, strconv.Itoa(i), "name")
		pos := Pos{File: c.file}
		if at := child(n.Content[i], "name"); at != nil {
			pos.Line, pos.Col = c.lines+at.Line, at.Column
		}
		c.dups = append(c.dups, Duplicate{Path: path, Name: name, First: first, Pos: pos})
	}
}

// itemName is the name of a named list's item.
func itemName(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	name, ok := m["name"].(string)
	return name, ok
}

func (c *converter) scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		// The common spellings directly: Node.Decode makes a decoder
		// for each value.
		switch n.Value {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, c.errorf(n, "%v", err)
		}
		return b, nil
	case "!!int":
		if i, ok := decimal(n.Value); ok {
			return i, nil
		}
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, nil
		}
		var u uint64
		if err := n.Decode(&u); err == nil && u <= math.MaxInt64 {
			return int64(u), nil
		}
		return nil, c.errorf(n, "integer %s does not fit in 64 bits", n.Value)
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, c.errorf(n, "%v", err)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, c.errorf(n, "%s is not a number JSON can hold", n.Value)
		}
		return f, nil
	case "!!binary":
		return nil, c.errorf(n, "binary values are not supported in manifests")
	}
	return n.Value, nil
}

// decimal reads a plain decimal integer without a leading zero, sign or
// underscore, which yaml.v3 reads as strconv.ParseInt does in base 10
// (it reads integers in base 0, where a leading 0 is octal); anything
// else is left to yaml.v3.
func decimal(s string) (int64, bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 18 || digits[0] == '0' && len(digits) > 1 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}

// Position returns where the value at path starts in the document, or the
// document's own position when the path is not in it. Path elements are map
// keys; a list is entered by index, or, when the list's items are maps with a
// name key, by that name.
func (d *Doc) Position(path []string) (Pos, bool) {
	n := d.node()
	if n == nil {
		return d.Pos, false
	}
	for _, sel := range path {
		n = child(n, sel)
		if n == nil {
			return d.Pos, false
		}
	}
	return Pos{File: d.Pos.File, Line: n.Line, Col: n.Column}, true
}

func child(n *yaml.Node, sel string) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == sel {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if name, ok := strings.CutPrefix(sel, "name="); ok {
			for _, item := range n.Content {
				if v := child(item, "name"); v != nil && v.Value == name && item.Kind == yaml.MappingNode {
					return item
				}
			}
			return nil
		}
		if i, err := strconv.Atoi(sel); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// SortIDs sorts ids in bundle order.
func SortIDs(ids []ID) {
	sort.Slice(ids, func(i, j int) bool { return ids[i].Less(ids[j]) })
}

// Inline returns the mapping at path within d as a document of its own, for
// manifests written inline in another file (the Komposer's overrides).
func (d *Doc) Inline(path []string, source string) (*Doc, error) {
	n := d.node()
	for _, sel := range path {
		n = child(n, sel)
	}
	if n == nil {
		return nil, fmt.Errorf("no %s in %s", strings.Join(path, "."), d.Pos.File)
	}
	pos := Pos{File: d.Pos.File, Line: n.Line, Col: n.Column}
	if n.Kind != yaml.MappingNode {
		return nil, Errorf(pos, source, "inline manifest is a %s, not a mapping", kindName(n))
	}
	c := converter{file: d.Pos.File, source: source, names: true}
	v, err := c.value(n, 0)
	if err != nil {
		return nil, err
	}
	obj := v.(map[string]any)
	id, err := identity(obj)
	if err != nil {
		return nil, Errorf(pos, source, "%v", err)
	}
	return &Doc{Object: obj, ID: id, Pos: pos, Source: source, Duplicates: c.dups, file: d.file, index: d.index,
		path: append(slices.Clone(d.path), path...)}, nil
}
