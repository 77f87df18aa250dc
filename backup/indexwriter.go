package backup

import (
	"sync"
	"time"
)

// indexWriter commits confirmed uploads to the index in batches, so workers
// never wait for a disk sync per file. A crash loses at most the last
// batch: those files count as not backed up and are sent again, which is
// safe because nothing unconfirmed is ever recorded.
type indexWriter struct {
	ix     *Index
	folder string
	// recorded: the folder has no history on the server yet, so its first
	// checkpoint will say everything; nothing needs noting for a journal.
	recorded bool

	mu      sync.Mutex
	pending []change
	err     error
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

const (
	writerBatch = 512
	writerDelay = 100 * time.Millisecond
)

func newIndexWriter(ix *Index, folder string) *indexWriter {
	w := &indexWriter{ix: ix, folder: folder, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

func (w *indexWriter) add(c change) {
	c.folder = w.folder
	c.recorded = c.recorded || w.recorded
	w.mu.Lock()
	w.pending = append(w.pending, c)
	full := len(w.pending) >= writerBatch
	w.mu.Unlock()
	if full {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

func (w *indexWriter) put(rel string, e Entry) { w.add(change{rel: rel, entry: &e}) }

// putRecorded is put for what the server's history already says.
func (w *indexWriter) putRecorded(rel string, e Entry) {
	w.add(change{rel: rel, entry: &e, recorded: true})
}
func (w *indexWriter) del(rel string)    { w.add(change{rel: rel}) }
func (w *indexWriter) dir(remote string) { w.add(change{dir: remote}) }
func (w *indexWriter) version(remote, superseded string) {
	w.add(change{version: remote, stamp: superseded})
}

func (w *indexWriter) commit() error {
	w.mu.Lock()
	batch := w.pending
	w.pending = nil
	w.mu.Unlock()
	if len(batch) == 0 {
		return w.err
	}
	if err := w.ix.apply(batch); err != nil && w.err == nil {
		w.err = err
	}
	return w.err
}

func (w *indexWriter) loop() {
	defer close(w.done)
	tick := time.NewTicker(writerDelay)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			w.commit()
		case <-w.wake:
			w.commit()
		case <-w.stop:
			w.commit()
			return
		}
	}
}

func (w *indexWriter) close() error {
	close(w.stop)
	<-w.done
	return w.err
}
