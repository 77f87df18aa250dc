package transport

import (
	"container/heap"
	"testing"
	"time"
)

// link is a simulated server: each request takes rtt, slowed when more are
// in flight than it serves at once, or refused (429) above refuseAbove.
type link struct {
	rtt         time.Duration
	serves      int // requests served at once; more wait their turn (0: no limit)
	refuseAbove int // more in flight than this are refused (0: never)
}

// event is an answer arriving.
type event struct {
	due     time.Time
	sent    time.Time
	refused bool
}

type events []event

func (h events) Len() int           { return len(h) }
func (h events) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h events) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)        { *h = append(*h, x.(event)) }
func (h *events) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type simResult struct {
	took          time.Duration
	refused       int
	maxRefusedRow int
	peakLimit     int
	limits        []int // the limit at each completion
}

// simulate uploads small files through p over l in virtual time, with as
// many workers as the pacer may use: each takes a slot, sends, and on a
// refusal gives the slot back and tries again 50 ms later with a new one.
func simulate(t *testing.T, p *Pacer, l link, files int) simResult {
	t.Helper()
	epoch := time.Unix(1_700_000_000, 0)
	now := epoch
	p.now = func() time.Time { return now }
	var (
		res      simResult
		h        events
		atServer int
		queued   = files
		retries  []time.Time // refused uploads, without a slot, ready again at these times
		done     int
		row      int
	)
	send := func() {
		atServer++
		e := event{sent: now, due: now.Add(l.rtt)}
		switch {
		case l.refuseAbove > 0 && atServer > l.refuseAbove:
			e.refused = true
		case l.serves > 0 && atServer > l.serves:
			e.due = now.Add(l.rtt * time.Duration((atServer+l.serves-1)/l.serves))
		}
		heap.Push(&h, e)
	}
	take := func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.take(false)
	}
	for done < files {
		if now.Sub(epoch) > time.Hour {
			t.Fatalf("%d of %d files after an hour of simulated time", done, files)
		}
		for len(retries) > 0 && !retries[0].After(now) && take() {
			retries = retries[1:]
			send()
		}
		for queued > 0 && take() {
			queued--
			send()
		}
		// Next is a retry's backoff ending, unless an answer comes first or
		// the retry already waits for a slot (only an answer frees one).
		if len(retries) > 0 && retries[0].After(now) && (h.Len() == 0 || retries[0].Before(h[0].due)) {
			now = retries[0]
			continue
		}
		if h.Len() == 0 {
			t.Fatalf("nothing in flight, %d retries waiting, limit %d, %d slots taken", len(retries), p.Limit(), p.inFlight)
		}
		e := heap.Pop(&h).(event)
		now = e.due
		atServer--
		if e.refused {
			res.refused++
			row++
			res.maxRefusedRow = max(res.maxRefusedRow, row)
			p.pushback(e.sent, "the server answered 429")
			p.release(false, false) // the retry layer yields the slot while it waits
			retries = append(retries, now.Add(50*time.Millisecond))
			continue
		}
		row = 0
		p.answered(now.Sub(e.sent))
		p.release(false, true)
		done++
		lim := p.Limit()
		res.peakLimit = max(res.peakLimit, lim)
		res.limits = append(res.limits, lim)
	}
	res.took = now.Sub(epoch)
	return res
}

func TestPacerGrowsOnALongRoundTrip(t *testing.T) {
	for _, rtt := range []time.Duration{30 * time.Millisecond, 200 * time.Millisecond} {
		p := NewPacer(0, 0, 0, nil)
		res := simulate(t, p, link{rtt: rtt}, 10000)
		rate := 10000 / res.took.Seconds()
		bound := float64(DefaultCeilingUploads) / rtt.Seconds()
		t.Logf("RTT %v: %.0f files/s, %.0f%% of 16/RTT (%.0f); limit reached %d", rtt, rate, 100*rate/bound, bound, res.peakLimit)
		if res.peakLimit != DefaultCeilingUploads {
			t.Errorf("RTT %v: the limit grew to %d, not to the ceiling %d", rtt, res.peakLimit, DefaultCeilingUploads)
		}
		if rate < 0.8*bound {
			t.Errorf("RTT %v: %.0f files/s, under 80%% of the round-trip limit %.0f", rtt, rate, bound)
		}
	}
}

// A server that serves only 5 at once gains nothing from more: the pacer
// must not sit at the ceiling there (it would only queue at the server).
func TestPacerStopsWhereMoreDoesNotHelp(t *testing.T) {
	p := NewPacer(0, 0, 0, nil)
	res := simulate(t, p, link{rtt: 50 * time.Millisecond, serves: 5}, 5000)
	tail := res.limits[len(res.limits)/2:]
	high := 0
	for _, l := range tail {
		if l >= DefaultCeilingUploads {
			high++
		}
	}
	t.Logf("limit peaked at %d; at the ceiling in %d of the last %d completions", res.peakLimit, high, len(tail))
	if high > len(tail)/4 {
		t.Errorf("the limit stayed at the ceiling in %d of the last %d completions, though the server serves 5 at once", high, len(tail))
	}
}

// A server that refuses more than 6 at once: the limit drops at once, and
// few requests in a row are refused.
func TestPacerBacksOffAtPushback(t *testing.T) {
	p := NewPacer(0, 0, 0, nil)
	res := simulate(t, p, link{rtt: 100 * time.Millisecond, refuseAbove: 6}, 5000)
	t.Logf("%d refused in all, at most %d in a row; limit peaked at %d, ended at %d", res.refused, res.maxRefusedRow, res.peakLimit, p.Limit())
	if res.refused == 0 {
		t.Fatal("nothing was refused: the test proved nothing")
	}
	if res.maxRefusedRow > 8 {
		t.Errorf("%d requests in a row were refused", res.maxRefusedRow)
	}
	if p.Limit() > 6 {
		t.Errorf("the limit ended at %d, above what the server accepts", p.Limit())
	}
	if res.refused > 40 {
		t.Errorf("%d requests refused over the backup: the pacer keeps pushing", res.refused)
	}
}

func TestFixedPacerNeverMoves(t *testing.T) {
	p := NewPacer(3, 0, 0, nil)
	res := simulate(t, p, link{rtt: 200 * time.Millisecond}, 2000)
	if res.peakLimit != 3 || p.Workers() != 3 {
		t.Errorf("a fixed pacer of 3 reached %d (workers %d)", res.peakLimit, p.Workers())
	}
	p.pushback(time.Now(), "the server answered 429")
	if p.Limit() != 3 {
		t.Errorf("pushback moved a fixed pacer to %d", p.Limit())
	}
}
