package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/compose"
	"github.com/orkdev/ork/pkg/plan"
)

// The JSON documents of --format json. Each is one object on stdout with
// "format_version": 1; a field is removed or changes meaning only with a
// new format_version, and fields may be added within one. Every list is
// present, empty rather than null. Errors are not JSON: as with kubectl -o
// json and helm -o json, an error goes to stderr as text, stdout stays
// empty, and the exit code says what happened (1, or 3 for a tampered
// bundle).

// validateJSON is `ork validate --format json`: each environment validated.
type validateJSON struct {
	FormatVersion int               `json:"format_version"`
	Environments  []validateEnvJSON `json:"environments"`
}

type validateEnvJSON struct {
	Name      string      `json:"name"`
	Manifests int         `json:"manifests"` // in the Katalog, CRDs not included
	CRDs      int         `json:"crds"`
	Added     []addedJSON `json:"added"` // manifests an overlay or override added rather than changed
}

type addedJSON struct {
	ID string `json:"id"` // Kind.group namespace/name, as the text output writes it
	At string `json:"at"` // file:line:col of the document that added it, or its source
}

// generateJSON is `ork generate bundle --format json`.
type generateJSON struct {
	FormatVersion int          `json:"format_version"`
	Lock          string       `json:"lock"`         // ork.lock's path
	LockWritten   bool         `json:"lock_written"` // pins were added, and ork.lock written with the bundles
	Bundles       []bundleJSON `json:"bundles"`
}

type bundleJSON struct {
	Environment string `json:"environment"`
	Path        string `json:"path"`
	Written     bool   `json:"written"` // false: the file already held these bytes
	Digest      string `json:"digest"`  // the bundle's ork.dev/digest
	Manifests   int    `json:"manifests"`
	CRDs        int    `json:"crds"`
}

// verifyJSON is `ork verify --format json` for a bundle that verified.
type verifyJSON struct {
	FormatVersion int    `json:"format_version"`
	Bundle        string `json:"bundle"` // the path given
	Verified      bool   `json:"verified"`
	Environment   string `json:"environment"`
	Digest        string `json:"digest"`
}

// lockJSON is `ork lock --format json`.
type lockJSON struct {
	FormatVersion int        `json:"format_version"`
	Lock          string     `json:"lock"`    // ork.lock's path
	Written       bool       `json:"written"` // false: its bytes did not change
	Moves         []moveJSON `json:"moves"`
}

// moveJSON is one pin added or moved.
type moveJSON struct {
	Environment string `json:"environment"`
	Source      string `json:"source,omitempty"` // the source whose pin moved; empty for an image
	Image       string `json:"image,omitempty"`  // the image whose pin moved
	From        string `json:"from"`             // "" when the pin is new
	To          string `json:"to"`
}

func movesJSON(moves []compose.Move) []moveJSON {
	out := []moveJSON{}
	for _, m := range moves {
		out = append(out, moveJSON{Environment: m.Environment, Source: m.Source, Image: m.Image, From: m.From, To: m.To})
	}
	return out
}

// promoteJSON is `ork promote --format json`: the preview and what was
// done.
type promoteJSON struct {
	FormatVersion int        `json:"format_version"`
	From          string     `json:"from"`
	To            string     `json:"to"`
	DryRun        bool       `json:"dry_run"`
	Lock          string     `json:"lock"`         // ork.lock's path
	LockWritten   bool       `json:"lock_written"` // the pins were promoted and ork.lock written
	Moves         []moveJSON `json:"moves"`        // the pins promoted (or that would be, with dry_run)
	Plan          plan.JSON  `json:"plan"`         // --to's plan with the promoted pins, as ork plan --format json
}

// outputFormatFlag is --format of the commands that print text or JSON.
func outputFormatFlag() cli.Flag {
	return &cli.StringFlag{Name: "format", EnvVars: []string{"ORK_FORMAT"}, Value: "text", Usage: "text or json (format_version 1; errors stay text on stderr)"}
}

// outputFormat reads and checks --format text|json.
func outputFormat(c *cli.Context) (string, error) {
	format := c.String("format")
	if format != "text" && format != "json" {
		return "", fmt.Errorf("--format %s: want text or json", format)
	}
	return format, nil
}

// writeJSON writes v as indented JSON, as plan's JSON is written.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
