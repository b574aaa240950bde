//go:build race

package cli

// raceEnabled is true when the race detector is on: the ork that the
// tests run is then the instrumented test binary, whose memory is several
// times a release build's.
const raceEnabled = true
