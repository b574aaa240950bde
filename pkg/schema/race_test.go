//go:build race

package schema

// raceEnabled is true when the race detector, which slows CUE about
// sevenfold, is on: TestCheckerAgreesWithCUE then checks a sample.
const raceEnabled = true
