package plan

import (
	"reflect"
	"regexp"
	"strings"
	"unicode"

	"github.com/orkdev/ork/pkg/fieldpath"
)

// Masked replaces a value that looks like a secret in every output of a
// plan. A value looks like a secret when it is
//   - a value of a Secret's data or stringData;
//   - at a key whose words name a secret (password, passwd, passphrase,
//     token, secret, credentials, or a key such as apiKey, privateKey,
//     accessKey, SIGNING_KEY), unless its last word says it only names or
//     locates one (secretName, tokenFile, passwordRef, keyId) or it lies
//     below a reference to another object (secretKeyRef, configMapKeyRef);
//   - the value of an item {name: N, value: V} whose name N names a secret
//     (an environment variable such as DB_PASSWORD);
//   - a PEM private key or a JSON Web Token, wherever it is.
//
// Booleans, nulls, empty strings and ${secrets.NAME} references (which hold
// no value: the runtime resolves them) are shown as they are.
const Masked = "(sensitive value)"

// maskedChanged replaces, on the planned side, a masked value that differs
// from the reference's, so a diff still shows that it changed.
const maskedChanged = "(sensitive value, changed)"

// where is what a value's place in a manifest says about it.
type where struct {
	isSecret   bool   // the manifest is a Secret (core group)
	secretData bool   // below a Secret's data or stringData
	inRef      bool   // below a reference to another object
	key        string // the map key the value (or its list) sits at
	secretItem bool   // the value of a {name, value} item whose name names a secret
	depth      int    // 0 at the manifest's root
}

func rootWhere(id ID) where {
	return where{isSecret: id.Group == "" && id.Kind == "Secret"}
}

// child is the place of the value at key k of map m, itself at w.
func (w where) child(k string, m map[string]any) where {
	c := where{key: k, depth: w.depth + 1, secretData: w.secretData, inRef: w.inRef || refKey(w.key)}
	if w.depth == 0 && w.isSecret && (k == "data" || k == "stringData") {
		c.secretData = true
	}
	if w.depth > 0 && k == "value" {
		if name, ok := m["name"].(string); ok && sensitiveKey(name) {
			c.secretItem = true
		}
	}
	return c
}

// item is the place of an item of a list at w.
func (w where) item() where {
	return where{key: w.key, depth: w.depth + 1, secretData: w.secretData, inRef: w.inRef, secretItem: w.secretItem}
}

// sensitive reports whether the scalar v, at w, is to be masked.
func (w where) sensitive(v any) bool {
	switch v := v.(type) {
	case nil, bool:
		return false
	case string:
		if v == "" || onlyReferences(v) {
			return false
		}
		if looksSecret(v) {
			return true
		}
	case map[string]any, []any:
		return false
	}
	if w.secretData || w.secretItem {
		return true
	}
	return !w.inRef && sensitiveKey(w.key)
}

var secretRef = regexp.MustCompile(`\$\{secrets\.[A-Za-z_][A-Za-z0-9_]*\}`)

// onlyReferences reports whether s is made of ${secrets.NAME} references
// and nothing else.
func onlyReferences(s string) bool {
	return strings.Contains(s, "${secrets.") && strings.TrimSpace(secretRef.ReplaceAllString(s, "")) == ""
}

var jwt = regexp.MustCompile(`^eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+$`)

// looksSecret reports whether a value is a secret whatever its key: a PEM
// private key or a JSON Web Token.
func looksSecret(s string) bool {
	if strings.Contains(s, "-----BEGIN") && strings.Contains(s, "PRIVATE KEY-----") {
		return true
	}
	return strings.HasPrefix(s, "eyJ") && jwt.MatchString(s)
}

// Words that make a key name a secret, and those that, last, make it only
// name, locate or describe one.
var (
	secretWords = map[string]bool{
		"password": true, "passwd": true, "passphrase": true, "pwd": true,
		"secret": true, "secrets": true, "token": true, "tokens": true,
		"credential": true, "credentials": true,
		"apikey": true, "privatekey": true, "accesskey": true, "secretkey": true, "sshkey": true,
	}
	// keyQualifiers turn "key" into a secret: api key, private key, ...
	keyQualifiers = map[string]bool{
		"api": true, "private": true, "access": true, "secret": true, "signing": true,
		"encryption": true, "ssh": true, "client": true, "master": true, "license": true,
		"auth": true, "session": true, "shared": true, "hmac": true, "account": true, "storage": true,
	}
	describers = map[string]bool{
		"name": true, "names": true, "ref": true, "refs": true, "reference": true,
		"path": true, "paths": true, "file": true, "files": true, "dir": true, "directory": true,
		"mode": true, "kind": true, "type": true, "namespace": true, "id": true,
		"length": true, "size": true, "seconds": true, "ttl": true, "expiration": true,
		"url": true, "uri": true, "endpoint": true, "header": true, "field": true,
		"prefix": true, "suffix": true, "selector": true, "enabled": true, "required": true,
		"format": true, "algorithm": true, "env": true, "provider": true, "source": true,
		"store": true, "audience": true, "audiences": true, "issuer": true,
	}
)

// sensitiveKey reports whether a key (or an environment variable's name)
// names a secret value.
func sensitiveKey(k string) bool {
	ws := words(k)
	if len(ws) == 0 || describers[ws[len(ws)-1]] {
		return false
	}
	for i, w := range ws {
		if secretWords[w] || w == "pass" || w == "pw" {
			return true
		}
		// Names run together: PGPASSWORD, MYSQLPWD, GITHUBTOKEN.
		for _, suffix := range []string{"password", "passwd", "pwd", "secret", "token", "apikey"} {
			if strings.HasSuffix(w, suffix) && len(w) > len(suffix) {
				return true
			}
		}
		if w == "key" && i > 0 && keyQualifiers[ws[i-1]] {
			return true
		}
	}
	return false
}

// refKey reports whether a key holds a reference to another object, whose
// fields name that object rather than hold a value: secretKeyRef,
// valueFrom, secretRef, tokenSecretRef, a selector.
func refKey(k string) bool {
	ws := words(k)
	if len(ws) == 0 {
		return false
	}
	last := ws[len(ws)-1]
	return last == "ref" || last == "refs" || last == "reference" || last == "selector" || k == "valueFrom" || k == "envFrom"
}

// words splits a key into lower-case words at non-alphanumeric characters
// and camelCase boundaries: "clientSecret" -> client, secret;
// "DB_PASSWORD" -> db, password; "apiKEYRef" -> api, key, ref.
func words(k string) []string {
	var out []string
	rs := []rune(k)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			out = append(out, strings.ToLower(string(rs[start:end])))
		}
		start = -1
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := rs[i-1]
		switch {
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush(i)
			start = i
		case unicode.IsUpper(r) && unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1]):
			// "APIKey": the K starts a word.
			flush(i)
			start = i
		}
	}
	flush(len(rs))
	return out
}

// absent marks a value that one side of a pair lacks.
type absentT struct{}

var absent = absentT{}

// maskPair returns copies of o and n with every value that looks like a
// secret replaced by Masked (on the planned side by maskedChanged when it
// differs from the reference's), and whether anything was masked. o or n
// may be nil (absent). Lists of named items are paired by name, others by
// index.
func maskPair(o, n any, w where) (mo, mn any, masked bool) {
	var ov, nv any = absent, absent
	if o != nil {
		ov = o
	}
	if n != nil {
		nv = n
	}
	mo, mn, masked = maskValues(ov, nv, w)
	if mo == absent {
		mo = nil
	}
	if mn == absent {
		mn = nil
	}
	return mo, mn, masked
}

func maskValues(o, n any, w where) (any, any, bool) {
	so, sn := shape(o), shape(n)
	if o != absent && n != absent && so != sn {
		a, _, m1 := maskValues(o, absent, w)
		_, b, m2 := maskValues(absent, n, w)
		return a, b, m1 || m2
	}
	s := so
	if o == absent {
		s = sn
	}
	switch s {
	case shapeMap:
		return maskMaps(o, n, w)
	case shapeList:
		return maskLists(o, n, w)
	}
	var masked bool
	ro, rn := o, n
	if o != absent && w.sensitive(o) {
		ro, masked = Masked, true
	}
	if n != absent && w.sensitive(n) {
		rn, masked = Masked, true
		if ro == Masked && !reflect.DeepEqual(o, n) {
			rn = maskedChanged
		}
	}
	return ro, rn, masked
}

const (
	shapeScalar = iota
	shapeMap
	shapeList
)

func shape(v any) int {
	switch v.(type) {
	case map[string]any:
		return shapeMap
	case []any:
		return shapeList
	}
	return shapeScalar
}

// maskMaps masks two maps (either may be absent) key by key.
func maskMaps(o, n any, w where) (any, any, bool) {
	om, oIsMap := o.(map[string]any)
	nm, nIsMap := n.(map[string]any)
	var masked bool
	var ro, rn map[string]any
	if oIsMap {
		ro = make(map[string]any, len(om))
	}
	if nIsMap {
		rn = make(map[string]any, len(nm))
	}
	for k, ov := range om {
		nv, inNew := nm[k]
		cw := w.child(k, om)
		if inNew {
			cw = w.child(k, nm)
		} else {
			nv = absent
		}
		a, b, m := maskValues(ov, nv, cw)
		masked = masked || m
		ro[k] = a
		if inNew {
			rn[k] = b
		}
	}
	for k, nv := range nm {
		if _, ok := om[k]; ok {
			continue
		}
		_, b, m := maskValues(absent, nv, w.child(k, nm))
		masked = masked || m
		rn[k] = b
	}
	return orAbsent(ro, oIsMap), orAbsent(rn, nIsMap), masked
}

// maskLists masks two lists (either may be absent) item by item.
func maskLists(o, n any, w where) (any, any, bool) {
	ol, oIsList := o.([]any)
	nl, nIsList := n.([]any)
	iw := w.item()
	var masked bool
	var ro, rn []any
	if oIsList {
		ro = make([]any, len(ol))
	}
	if nIsList {
		rn = make([]any, len(nl))
	}
	for _, p := range pairItems(ol, nl) {
		ov, nv := any(absent), any(absent)
		if p.o >= 0 {
			ov = ol[p.o]
		}
		if p.n >= 0 {
			nv = nl[p.n]
		}
		a, b, m := maskValues(ov, nv, iw)
		masked = masked || m
		if p.o >= 0 {
			ro[p.o] = a
		}
		if p.n >= 0 {
			rn[p.n] = b
		}
	}
	return orAbsent(ro, oIsList), orAbsent(rn, nIsList), masked
}

func orAbsent[T any](v T, present bool) any {
	if present {
		return v
	}
	return absent
}

type pair struct{ o, n int }

// pairItems pairs two lists' items: by name when every item of both is a
// map with a distinct string name, else by index. -1 marks a missing side.
func pairItems(ol, nl []any) []pair {
	on, ok1 := fieldpath.ItemNames(ol)
	nn, ok2 := fieldpath.ItemNames(nl)
	var out []pair
	if ok1 && ok2 && (len(ol) > 0 || len(nl) > 0) {
		at := make(map[string]int, len(nn))
		for i, name := range nn {
			at[name] = i
		}
		used := make([]bool, len(nl))
		for i, name := range on {
			if j, ok := at[name]; ok {
				out = append(out, pair{i, j})
				used[j] = true
			} else {
				out = append(out, pair{i, -1})
			}
		}
		for j := range nl {
			if !used[j] {
				out = append(out, pair{-1, j})
			}
		}
		return out
	}
	for i := 0; i < max(len(ol), len(nl)); i++ {
		p := pair{-1, -1}
		if i < len(ol) {
			p.o = i
		}
		if i < len(nl) {
			p.n = i
		}
		out = append(out, p)
	}
	return out
}
