package gateway

import "runtime/debug"

// gcPercent is the gateway's garbage-collection target (Go's GOGC) unless
// the environment sets GOGC. Transcoding allocates for every request and
// keeps almost nothing, so Go's default (collect when the heap doubles)
// collects very often; at 400 the heap may grow to 5× the little that is
// live (a few MB more) and the gateway spends ~20 % less CPU per call
// (docs/BENCHMARKS.md, "Levers measured and kept").
const gcPercent = 400

// tuneGC applies gcPercent when GOGC (read through getenv) is unset.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
