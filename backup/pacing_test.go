package backup_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/faultproxy"
)

// A far server that starts refusing once Kumo's parallelism has grown:
// the pacer drops at once, few requests in a row are refused, and the
// backup ends byte-identical.
func TestPacingBacksOffWhenTheServerPushesBack(t *testing.T) {
	const (
		grown  = 8 // in flight at the server: twice the start
		accept = 5 // then the server refuses more than this at once
	)
	cases := []struct {
		name  string
		fault faultproxy.Fault
	}{
		{"429 too many requests", faultproxy.Fault{Kind: faultproxy.Status, Code: 429}},
		{"connection reset", faultproxy.Fault{Kind: faultproxy.Reset}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newFaultRigOf(t, 1000)
			r.adaptive = true
			r.proxy.SetDelay(40 * time.Millisecond)
			eng := r.engine(t)
			pacer := r.client.Pacer()

			var (
				mu                 sync.Mutex
				pushing            bool
				firstRefusal       time.Time
				refused, row, most int
			)
			r.proxy.SetRule(func(_ *http.Request, _ int64) *faultproxy.Fault {
				mu.Lock()
				defer mu.Unlock()
				n := r.proxy.InFlight()
				if n >= grown {
					pushing = true
				}
				if !pushing || n <= accept {
					row = 0
					return nil
				}
				if firstRefusal.IsZero() {
					firstRefusal = time.Now()
				}
				refused++
				row++
				most = max(most, row)
				f := c.fault
				return &f
			})
			// The limit as the engine sees it, sampled as it goes.
			type sample struct {
				at    time.Time
				limit int
			}
			var samples []sample
			stop := make(chan struct{})
			var sampled sync.WaitGroup
			sampled.Add(1)
			go func() {
				defer sampled.Done()
				for {
					select {
					case <-stop:
						return
					case <-time.After(2 * time.Millisecond):
					}
					s := sample{time.Now(), pacer.Limit()}
					mu.Lock()
					samples = append(samples, s)
					mu.Unlock()
				}
			}()
			passUntilClean(t, eng)
			close(stop)
			sampled.Wait()
			r.proxy.SetRule(nil)

			mu.Lock()
			defer mu.Unlock()
			if !pushing {
				t.Fatalf("the server never saw %d requests at once (peak %d): parallelism did not grow, the test proved nothing", grown, r.proxy.PeakInFlight())
			}
			if refused == 0 {
				t.Fatal("nothing was refused: the test proved nothing")
			}
			before, after := 0, 1<<30
			for _, s := range samples {
				switch {
				case s.at.Before(firstRefusal):
					before = max(before, s.limit)
				case s.at.Before(firstRefusal.Add(250 * time.Millisecond)):
					after = min(after, s.limit)
				}
			}
			t.Logf("limit %d before the first refusal, %d within 250 ms of it, %d at the end; %d refused in %d requests, at most %d in a row; peak %d at once",
				before, after, pacer.Limit(), refused, r.proxy.Requests(), most, r.proxy.PeakInFlight())
			if after > before/2 {
				t.Errorf("the limit was %d before the first refusal and still %d 250 ms after it: it did not drop at once", before, after)
			}
			if most > 2*grown {
				t.Errorf("%d requests in a row were refused", most)
			}
			if pacer.Limit() > accept {
				t.Errorf("the limit ended at %d, above the %d the server accepts", pacer.Limit(), accept)
			}
			eng.Close()
			r.client.Close()
			files, bytes := r.verify(t)
			t.Logf("%d files, %d bytes identical on the server", files, bytes)
		})
	}
}
