package backup_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/transport"
)

// restStorage reads the emulator's figures as Kumo does on InfiniCLOUD:
// from the node's REST API, with an API key.
func restStorage(t *testing.T, e *testenv.Emulated) backup.QuotaReader {
	c, err := transport.New(transport.Config{URL: e.DAVURL("backup"), User: e.User, Password: e.AppsPassword, RootCAs: e.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &account.StorageReader{Client: c, Options: account.Options{RootCAs: e.Pool()},
		Account: account.Account{Service: account.InfiniCLOUD, URL: e.DAVURL("backup"), User: e.User},
		Secrets: account.Secrets{Password: e.AppsPassword, APIKey: e.APIKey}}
}

// A full account that does not answer 507: the real service's status for
// a refused write is not documented. Whether it answers 500 or 403 to every
// upload, Kumo recognises the full account from the refusals (the figures,
// when the server gives them, agreeing), holds instead of retrying for
// ever, and finishes by itself once space comes back.
func TestFullAccountWhateverTheStatus(t *testing.T) {
	for _, c := range []struct {
		name    string
		status  int
		figures bool // the REST API gives the account's figures
	}{
		{"500, figures from the REST API", http.StatusInternalServerError, true},
		{"403, figures from the REST API", http.StatusForbidden, true},
		{"500, no figures anywhere", http.StatusInternalServerError, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newFaultRig(t, func(cfg *emulator.Config) { cfg.Accounts[0].Quota = 2 << 20; cfg.FullStatus = c.status })
			if c.figures {
				r.storage = restStorage(t, r.e)
			}
			out, stop := r.watch(t, backup.WatchOptions{SpacePoll: 300 * time.Millisecond, Quiet: 100 * time.Millisecond, RetryDelay: 200 * time.Millisecond})
			first := next(t, out, 60*time.Second)
			if transport.Classify(first.err) != transport.ClassQuota || problem.KindOf(first.err) != problem.WritesRefused {
				t.Fatalf("a full account answering %d ended the pass with %v", c.status, first.err)
			}
			time.Sleep(150 * time.Millisecond) // requests already on the wire land
			putsAtFull := r.e.Requests("PUT")
			passes := 0
			for window := time.After(1200 * time.Millisecond); ; {
				select {
				case o := <-out:
					passes++
					if transport.Classify(o.err) != transport.ClassQuota {
						t.Fatalf("a pass while full ended with %v", o.err)
					}
					continue
				case <-window:
				}
				break
			}
			attempts := r.e.Requests("PUT") - putsAtFull
			switch {
			case c.figures && (attempts != 0 || passes != 0):
				t.Errorf("%d uploads in %d passes while the figures said the account was full", attempts, passes)
			case !c.figures && (passes > 5 || attempts > int64(passes+1)*(4+3)*5):
				// Without figures each poll is one pass that stops after 3
				// refused files (4 workers, each file tried 5 times).
				t.Errorf("%d uploads in %d passes in 1.2 s with a 300 ms poll: Kumo hammers a full account", attempts, passes)
			}
			if err := r.e.UpdateAccount(r.e.User, func(a *emulator.Account) { a.Quota = 0 }); err != nil {
				t.Fatal(err)
			}
			untilClean(t, out)
			stop()
			files, bytes := r.verify(t)
			t.Logf("full (answering %d) after %d PUTs; %d upload attempts in %d passes in the next 1.2 s; then %d files, %d bytes identical",
				c.status, putsAtFull, attempts, passes, files, bytes)
		})
	}
}

// Deleting files does not free space at once: the service's snapshots keep
// them for a while. Kumo waits for the server's own figure, never assumes
// a deletion freed anything, and resumes once the figure shows room.
func TestDeletionFreesNothingUntilTheSnapshotsGo(t *testing.T) {
	clock := testenv.NewClock(time.Now())
	r := newFaultRig(t, func(cfg *emulator.Config) {
		cfg.Accounts[0].Quota = 6 << 20
		cfg.SnapshotDelay, cfg.Now = 6*time.Hour, clock.Now
	})
	r.storage = restStorage(t, r.e)
	if err := testenv.FillArea(r.e, "dav", 4<<20); err != nil { // the user's own files in the main drive
		t.Fatal(err)
	}
	out, stop := r.watch(t, backup.WatchOptions{SpacePoll: 100 * time.Millisecond, Quiet: 100 * time.Millisecond})
	first := next(t, out, 60*time.Second)
	if transport.Classify(first.err) != transport.ClassQuota {
		t.Fatalf("the account filled up: %v", first.err)
	}
	// The user deletes the big file on the web page.
	web, err := transport.New(transport.Config{URL: r.e.DAVURL("dav"), User: r.e.User, Password: r.e.AppsPassword, RootCAs: r.e.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	if err := web.Delete(context.Background(), "filler.bin"); err != nil {
		t.Fatal(err)
	}
	puts := r.e.Requests("PUT")
	time.Sleep(time.Second)
	if n := r.e.Requests("PUT") - puts; n != 0 {
		t.Fatalf("%d uploads right after the deletion: the snapshots still hold its space", n)
	}
	clock.Set(clock.Now().Add(6*time.Hour + time.Minute))
	untilClean(t, out)
	stop()
	files, bytes := r.verify(t)
	t.Logf("held while the snapshots kept the deleted 4 MiB; after the delay %d files, %d bytes identical", files, bytes)
}
