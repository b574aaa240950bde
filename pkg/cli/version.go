package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/schema"
)

// Set at build time with -ldflags "-X github.com/orkdev/ork/pkg/cli.version=...".
var (
	version = ""
	commit  = ""
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:      "version",
		Usage:     "print ork's version, commit, and Go and CUE versions",
		ArgsUsage: " ",
		Flags:     []cli.Flag{outputFormatFlag()},
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c)
			if err != nil {
				return err
			}
			return printVersion(c, format)
		},
	}
}

// versionJSON is `ork version --format json`.
type versionJSON struct {
	FormatVersion int    `json:"format_version"` // 1
	Version       string `json:"version"`        // e.g. v0.3.0, or devel
	Commit        string `json:"commit"`         // the Git commit built, or unknown
	Go            string `json:"go"`             // e.g. go1.26.0
	CUE           string `json:"cue"`            // e.g. v0.13.2
}

// printVersion writes ork's version (`ork version`, `ork --version`).
func printVersion(c *cli.Context, format string) error {
	v, rev := version, commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && rev == "" {
				rev = s.Value
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if rev == "" {
		rev = "unknown"
	}
	out := versionJSON{FormatVersion: 1, Version: v, Commit: rev, Go: runtime.Version(), CUE: schema.CUEVersion()}
	if format == "json" {
		return writeJSON(c.App.Writer, out)
	}
	_, err := fmt.Fprintf(c.App.Writer, "ork %s\ncommit: %s\ngo: %s\ncue: %s\n", out.Version, out.Commit, out.Go, out.CUE)
	return err
}
