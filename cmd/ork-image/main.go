// Command ork-image writes ork-runtime's container image into an OCI
// layout (make image): ork-image -binary FILE -o DIR [-tag T] [-arch A].
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/orkdev/ork/pkg/image"
)

func main() {
	binary := flag.String("binary", "", "the static ork-runtime `FILE`")
	out := flag.String("o", "oci/ork-runtime", "the OCI layout `DIR` to write (replaced)")
	tag := flag.String("tag", "latest", "the image's name in the layout")
	arch := flag.String("arch", runtime.GOARCH, "the binary's architecture")
	flag.Parse()
	data, err := os.ReadFile(*binary)
	if err == nil {
		var d fmt.Stringer
		d, err = image.Write(*out, image.Spec{Binary: data, Name: "ork-runtime", OS: "linux", Arch: *arch, Tag: *tag})
		if err == nil {
			fmt.Printf("%s: %s\n", *out, d)
			return
		}
	}
	fmt.Fprintf(os.Stderr, "ork-image: %v\n", err)
	os.Exit(1)
}
