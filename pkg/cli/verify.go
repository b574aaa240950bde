package cli

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/bundle"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "recompute a bundle's digest; exit 3 if it was altered (or is not the one --digest names)",
		ArgsUsage: "BUNDLE",
		Flags: withGlobals(
			&cli.StringFlag{Name: "digest", EnvVars: []string{"ORK_DIGEST"}, Usage: "the digest the bundle must have: sha256:<hex>, as `ork plan` prints it"},
			outputFormatFlag(),
		),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("verify takes one bundle file, got %d arguments", c.NArg())
			}
			format, err := outputFormat(c)
			if err != nil {
				return err
			}
			want := c.String("digest")
			if want != "" && !digestPattern.MatchString(want) {
				return fmt.Errorf("--digest %s: want sha256: and 64 lower-case hex digits, as `ork plan` prints it", want)
			}
			path := c.Args().First()
			b, err := bundle.ReadFile(path)
			if err != nil {
				return err
			}
			if err := b.Verify(); err != nil {
				if errors.Is(err, bundle.ErrTampered) {
					return &exitError{code: ExitTampered, err: fmt.Errorf("%s: %w%s", path, err, rebuildHint(b.Environment))}
				}
				return fmt.Errorf("%s: %w", path, err)
			}
			if want != "" && b.Digest != want {
				return &exitError{code: ExitTampered, err: fmt.Errorf("%s: digest %s, not the planned %s: this is not the bundle that was planned", path, b.Digest, want)}
			}
			if readGlobals(c).quiet {
				return nil
			}
			if format == "json" {
				return writeJSON(c.App.Writer, verifyJSON{FormatVersion: 1, Bundle: path, Verified: true, Environment: b.Environment, Digest: b.Digest})
			}
			fmt.Fprintf(c.App.Writer, "%s: verified, environment %s, %s\n", path, b.Environment, b.Digest)
			return nil
		},
	}
}

// digestPattern is the form of a bundle's digest.
var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// rebuildHint says how to replace a tampered bundle of environment env.
func rebuildHint(env string) string {
	if env == "" || !envName.MatchString(env) {
		return "; rebuild it with `ork generate bundle --env ENV`"
	}
	return "; rebuild it with `ork generate bundle --env " + env + "`"
}

// envName is the form of an environment's name (a DNS label), so that a
// hint never repeats whatever a tampered file holds.
var envName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
