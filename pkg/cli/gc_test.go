package cli

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestSoftLimit(t *testing.T) {
	for _, tc := range []struct{ live, read, want int64 }{
		{0, 0, gcLimit},
		{20 << 20, 0, gcLimit},
		{gcLimit * 2 / 5, 0, gcLimit},
		{80 << 20, 0, 200 << 20},
		{1 << 30, 0, 5 << 29},
		// The YAML of 500 services × 20 environments stays at gcLimit;
		// twice that gets twice the room.
		{40 << 20, 4363573, gcLimit},
		{40 << 20, 2 * 4363573, 2 * 4363573 * bytesPerRead},
		{200 << 20, 2 * 4363573, 500 << 20},
	} {
		if got := softLimit(tc.live, tc.read); got != tc.want {
			t.Errorf("softLimit(%d MiB live, %d bytes read) = %d MiB, want %d MiB", tc.live>>20, tc.read, got>>20, tc.want>>20)
		}
	}
}

// TestFollowLiveHeap keeps 200 MiB alive through collections: the soft
// limit rises to 2.5 times that, and falls back once it is garbage; after
// 10 MB read, it is at least the room they are given.
func TestFollowLiveHeap(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	debug.SetMemoryLimit(gcLimit)
	var b budget
	stop := b.follow()
	defer stop()
	limitAfterGC := func(want func(int64) bool) int64 {
		t.Helper()
		var limit int64
		for range 50 { // finalizers run after the collection, on their own goroutine
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
			if limit = debug.SetMemoryLimit(-1); want(limit) {
				break
			}
		}
		return limit
	}
	live := make([]byte, 200<<20)
	for i := range live {
		live[i] = byte(i) // touched, so that it is counted as used memory
	}
	if limit := limitAfterGC(func(l int64) bool { return l >= 500<<20 }); limit < 500<<20 {
		t.Errorf("with 200 MiB live the soft limit is %d MiB, want at least 500", limit>>20)
	}
	runtime.KeepAlive(live)
	live = nil
	if limit := limitAfterGC(func(l int64) bool { return l < 200<<20 }); limit >= 200<<20 {
		t.Errorf("with the 200 MiB released the soft limit is still %d MiB", limit>>20)
	}
	for range 10 {
		b.reading(1e6)
	}
	want := int64(10e6 * bytesPerRead)
	if limit := limitAfterGC(func(l int64) bool { return l >= want }); limit < want {
		t.Errorf("after 10 MB read the soft limit is %d MiB, want at least %d", limit>>20, want>>20)
	}
}
