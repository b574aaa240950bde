// Package schemas holds ork's CUE schemas, embedded in the binary. They are
// the single source of truth for the Komposer, the lock, the bundle's lock
// record and the manifest kinds ork knows.
package schemas

import "embed"

// FS holds every *.cue file of this directory, all of package schemas.
//
//go:embed *.cue
var FS embed.FS
