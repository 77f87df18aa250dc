package instance

import (
	"testing"
	"time"
)

// A second launch finds the first, passes on its request, and does not
// start; after the first quits, a launch runs again.
func TestSecondLaunchShowsTheFirst(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	shown := make(chan string, 1)
	first, err := Acquire("io.test.kumo", Show, func(req string) { shown <- req })
	if err != nil || first == nil {
		t.Fatalf("first launch: %v", err)
	}
	if _, err := Acquire("io.test.kumo", Restore, func(string) {}); err != ErrRunning {
		t.Fatalf("second launch: %v, want ErrRunning", err)
	}
	select {
	case req := <-shown:
		if req != Restore {
			t.Errorf("the first instance heard %q, want %q", req, Restore)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first instance was not asked to show its window")
	}
	first.Release()
	again, err := Acquire("io.test.kumo", Show, func(string) {})
	if err != nil || again == nil {
		t.Fatalf("launch after the first quit: %v", err)
	}
	again.Release()
}
