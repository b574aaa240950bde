package schema

import (
	"runtime/debug"

	"cuelang.org/go/cue"
)

// CUEVersion returns the version of cuelang.org/go built into this binary,
// or, where the binary carries no module information (test binaries), the
// CUE language version it implements.
func CUEVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "cuelang.org/go" {
				if dep.Replace != nil {
					return dep.Replace.Version
				}
				return dep.Version
			}
		}
	}
	return "language " + cue.LanguageVersion()
}
