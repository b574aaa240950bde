package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestEveryCommandHasExamples holds every command, and the application,
// to an EXAMPLES section in its --help, as kubectl's commands have. (ork
// help --help is the application's help.)
func TestEveryCommandHasExamples(t *testing.T) {
	var paths [][]string
	var walk func(cmds []*cli.Command, parent []string)
	walk = func(cmds []*cli.Command, parent []string) {
		for _, c := range cmds {
			if c.Name == "help" {
				continue
			}
			p := append(parent[:len(parent):len(parent)], c.Name)
			paths = append(paths, p)
			walk(c.Subcommands, p)
		}
	}
	walk(newApp(io.Discard, io.Discard).Commands, nil)
	if len(paths) < 12 {
		t.Fatalf("only %d commands found", len(paths))
	}
	for _, p := range append(paths, nil) {
		name := strings.Join(p, " ")
		if strings.TrimSpace(examples[name]) == "" {
			t.Errorf("ork %s has no examples", name)
			continue
		}
		var out, errOut bytes.Buffer
		args := append(append([]string{"ork"}, p...), "--help")
		if code := Run(context.Background(), args, &out, &errOut); code != 0 || errOut.Len() > 0 {
			t.Errorf("%s: exit %d, stderr %q", strings.Join(args, " "), code, errOut.String())
		}
		want := "\nEXAMPLES:\n   " + strings.SplitN(examples[name], "\n", 2)[0] + "\n"
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s does not show its examples:\n%s", strings.Join(args, " "), out.String())
		}
	}
	for name := range examples {
		found := name == ""
		for _, p := range paths {
			found = found || strings.Join(p, " ") == name
		}
		if !found {
			t.Errorf("examples for %q, which is no command", name)
		}
	}
}
