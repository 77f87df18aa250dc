package backup

import (
	"context"
	"path"
	"sync"
)

// dirCache creates each remote folder once: parents before children,
// concurrent callers for the same folder waiting on the one request, and
// folders the index knows from earlier passes never asked for again.
type dirCache struct {
	remote  Remote
	known   func(dir string) bool // created in an earlier pass
	created func(dir string)      // record a new folder
	mu      sync.Mutex
	dirs    map[string]*dirState
}

type dirState struct {
	done chan struct{}
	err  error
}

func newDirCache(remote Remote, known func(string) bool, created func(string)) *dirCache {
	return &dirCache{remote: remote, known: known, created: created, dirs: make(map[string]*dirState)}
}

func (c *dirCache) ensure(ctx context.Context, dir string) error {
	if dir == "." || dir == "/" || dir == "" {
		return nil
	}
	c.mu.Lock()
	st, ok := c.dirs[dir]
	if !ok {
		st = &dirState{done: make(chan struct{})}
		c.dirs[dir] = st
	}
	c.mu.Unlock()
	if ok {
		select {
		case <-st.done:
			return st.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if !c.known(dir) {
		st.err = c.ensure(ctx, path.Dir(dir))
		if st.err == nil {
			if st.err = c.remote.Mkdir(ctx, dir); st.err == nil {
				c.created(dir)
			}
		}
	}
	if st.err != nil {
		// Forget the failure so a later call may try again.
		c.mu.Lock()
		delete(c.dirs, dir)
		c.mu.Unlock()
	}
	close(st.done)
	return st.err
}
