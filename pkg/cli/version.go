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
		Name:  "version",
		Usage: "print ork's version, commit, and Go and CUE versions",
		Action: func(c *cli.Context) error {
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
			fmt.Fprintf(c.App.Writer, "ork %s\ncommit: %s\ngo: %s\ncue: %s\n", v, rev, runtime.Version(), schema.CUEVersion())
			return nil
		},
	}
}
