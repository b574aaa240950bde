//go:build race

package cli

// raceEnabled is true when the race detector is on: the ork that the fault
// tests run is then this test binary, several times slower, and they use
// a smaller workload.
const raceEnabled = true
