package instance

import (
	"testing"
	"time"
)

// A second launch finds the first, asks it to show its window, and does not
// start; after the first quits, a launch runs again.
func TestSecondLaunchShowsTheFirst(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	shown := make(chan struct{}, 1)
	first, err := Acquire("io.test.kumo", func() { shown <- struct{}{} })
	if err != nil || first == nil {
		t.Fatalf("first launch: %v", err)
	}
	if _, err := Acquire("io.test.kumo", func() {}); err != ErrRunning {
		t.Fatalf("second launch: %v, want ErrRunning", err)
	}
	select {
	case <-shown:
	case <-time.After(5 * time.Second):
		t.Fatal("the first instance was not asked to show its window")
	}
	first.Release()
	again, err := Acquire("io.test.kumo", func() {})
	if err != nil || again == nil {
		t.Fatalf("launch after the first quit: %v", err)
	}
	again.Release()
}
