package session

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/conditions"
	"github.com/kumo-backup/kumo/watcher"
)

// Tuning is how engines run: the user's settings, which a command's flags
// may change for one run.
type Tuning struct {
	Workers      int   // parallel uploads; 0 adapts to the link (transport.Pacer)
	UploadLimit  int64 // bytes per second; 0 is unlimited
	Quiet        time.Duration
	SafetyRescan time.Duration // time between full rescans; the engine's default when zero
	Retention    backup.Retention
	Holds        HoldPolicy
}

// TuningOf reads the user's settings: the same for the app and the daemon.
func TuningOf(set account.Settings) Tuning {
	set = set.WithDefaults()
	r := backup.DefaultRetention
	r.Daily = time.Duration(set.KeepDailyDays) * 24 * time.Hour
	return Tuning{
		Workers:     set.Workers,
		UploadLimit: int64(set.UploadLimitKiB) << 10,
		Quiet:       time.Duration(set.QuietSeconds) * time.Second,
		Retention:   r,
		Holds:       HoldPolicyOf(set),
	}
}

// String is the tuning as a log line shows it.
func (t Tuning) String() string {
	workers := "adaptive"
	if t.Workers > 0 {
		workers = fmt.Sprint(t.Workers)
	}
	return fmt.Sprintf("workers=%s upload-limit=%d quiet=%s retention=(every version %s, daily to %s) %s",
		workers, t.UploadLimit, t.Quiet, t.Retention.KeepAll, t.Retention.Daily, t.Holds)
}

// Hooks hear what one folder's engine does; any may be nil. They are called
// from the engine's goroutines.
type Hooks struct {
	OnProgress func(backup.Progress)
	OnUploaded func(rel string)
	OnPass     func(*backup.Summary, error)
	OnNote     func(string)
}

// Engine prepares the engine of one folder with the session's index and
// tuning; the caller closes it. Once and the Runner use it, so a single
// pass and a watching folder are the same engine.
func (s *Session) Engine(f account.Folder, h Hooks) (*backup.Engine, error) {
	ix, err := s.Index()
	if err != nil {
		return nil, err
	}
	key, err := s.folderKey(f)
	if err != nil {
		return nil, err
	}
	t := s.opts.Tuning
	return backup.New(s.Client, backup.Options{Key: key, Root: f.Path, Device: s.Account.Device, Workers: t.Workers, Index: ix,
		Filter: watcher.NewFilter(f.Excludes...), Retention: t.Retention, Storage: s.Storage(), Now: s.opts.Now, Logger: s.opts.Logger,
		OnProgress: h.OnProgress, OnUploaded: h.OnUploaded})
}

// Once backs up a folder in one pass.
func (s *Session) Once(ctx context.Context, f account.Folder) (*backup.Summary, error) {
	e, err := s.Engine(f, Hooks{})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	return e.Pass(ctx)
}

// Runner keeps folders backed up as they change, each with its engine
// watching; it holds them all together (Pause), or each as the computer's
// network and power ask (SetConditions), and asks them all for a pass
// (Rescan).
type Runner struct {
	s     *Session
	ctx   context.Context
	stop  context.CancelFunc
	hooks func(account.Folder) Hooks

	mu     sync.Mutex
	runs   map[string]*run
	paused bool
	cond   conditions.State
}

type run struct {
	folder    account.Folder
	engine    *backup.Engine
	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}
	held      HoldReason
	verifying sync.WaitGroup // a verification step under way; the engine closes after it
}

// Runner starts nothing yet; hooks gives each folder its own.
func (s *Session) Runner(hooks func(account.Folder) Hooks) *Runner {
	ctx, stop := context.WithCancel(context.Background())
	return &Runner{s: s, ctx: ctx, stop: stop, hooks: hooks, runs: map[string]*run{}, cond: conditions.Unknown}
}

// Start begins watching a folder: a pass now, then every change.
func (r *Runner) Start(f account.Folder) error {
	h := Hooks{}
	if r.hooks != nil {
		h = r.hooks(f)
	}
	e, err := r.s.Engine(f, h)
	if err != nil {
		return err
	}
	t := r.s.opts.Tuning
	r.s.opts.Logger.Info("watching", "folder", f.Path, "tuning", t.String())
	ctx, cancel := context.WithCancel(r.ctx)
	ru := &run{folder: f, engine: e, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	r.mu.Lock()
	if old := r.runs[f.Path]; old != nil {
		r.mu.Unlock()
		cancel()
		e.Close()
		return fmt.Errorf("%s is already being backed up", f.Path)
	}
	r.runs[f.Path] = ru
	r.holdLocked(ru)
	r.mu.Unlock()
	go func() {
		defer close(ru.done)
		err := e.Watch(ctx, backup.WatchOptions{Quiet: t.Quiet, SafetyRescan: t.SafetyRescan, OnPass: h.OnPass, OnNote: h.OnNote})
		if err != nil && ctx.Err() == nil && h.OnPass != nil {
			h.OnPass(nil, err)
		}
	}()
	return nil
}

// Stop ends one folder's engine and waits for it; what is on the server stays.
func (r *Runner) Stop(path string) {
	r.mu.Lock()
	ru := r.runs[path]
	delete(r.runs, path)
	r.mu.Unlock()
	if ru != nil {
		ru.finish()
	}
}

// StopAll ends every folder's engine and waits for them.
func (r *Runner) StopAll() {
	r.stop()
	r.mu.Lock()
	runs := r.runs
	r.runs = map[string]*run{}
	r.mu.Unlock()
	for _, ru := range runs {
		ru.finish()
	}
}

func (ru *run) finish() {
	ru.cancel()
	<-ru.done
	ru.verifying.Wait()
	ru.engine.Close()
}

// Verify runs one step of a folder's verification (backup.Engine.Verify);
// stopping the folder cancels it.
func (r *Runner) Verify(ctx context.Context, path string, lim backup.VerifyLimits) (backup.VerifyReport, error) {
	r.mu.Lock()
	ru := r.runs[path]
	if ru == nil || ru.ctx.Err() != nil {
		r.mu.Unlock()
		return backup.VerifyReport{}, fmt.Errorf("%s is not being backed up", path)
	}
	ru.verifying.Add(1)
	r.mu.Unlock()
	defer ru.verifying.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ru.ctx, cancel)
	defer stop()
	return ru.engine.Verify(ctx, lim)
}

// VerifyState is where a folder's verification stands (zero: not running).
func (r *Runner) VerifyState(path string) backup.VerifyState {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ru := r.runs[path]; ru != nil {
		return ru.engine.VerifyState()
	}
	return backup.VerifyState{}
}

// Pause holds every upload (mid-file too) until Resume; folders started
// meanwhile start held.
func (r *Runner) Pause() { r.setPaused(true) }

// Resume lets every folder go on; each rescans what changed meanwhile.
func (r *Runner) Resume() { r.setPaused(false) }

func (r *Runner) setPaused(p bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paused = p
	for _, ru := range r.runs {
		r.holdLocked(ru)
		if !p {
			ru.engine.Rescan()
		}
	}
}

// SetConditions holds each folder as the network and power now ask, and
// lets each go on (with a rescan) once they no longer do.
func (r *Runner) SetConditions(c conditions.State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cond = c
	for _, ru := range r.runs {
		r.holdLocked(ru)
	}
}

// Conditions is the network and power the runner last heard of.
func (r *Runner) Conditions() conditions.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cond
}

// Held reports why each folder the conditions hold is held.
func (r *Runner) Held() map[string]HoldReason {
	r.mu.Lock()
	defer r.mu.Unlock()
	held := map[string]HoldReason{}
	for path, ru := range r.runs {
		if ru.held != NotHeld {
			held[path] = ru.held
		}
	}
	return held
}

func (r *Runner) holdLocked(ru *run) {
	h, why := r.s.opts.Tuning.Holds.HoldFor(ru.folder, r.cond)
	switch {
	case why != ru.held && why != NotHeld:
		r.s.opts.Logger.Info("holding", "folder", ru.folder.Path, "why", why.String(), "conditions", r.cond.Seen)
	case why != ru.held:
		r.s.opts.Logger.Info("hold ended", "folder", ru.folder.Path, "conditions", r.cond.Seen)
	}
	ru.held = why
	if r.paused {
		h = backup.Hold{All: true}
	}
	ru.engine.SetHold(h)
}

// Rescan asks every folder for a full pass now ("Back up now").
func (r *Runner) Rescan() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ru := range r.runs {
		ru.engine.Rescan()
	}
}

// Wait returns once every folder's engine has ended (the runner was
// stopped, or each folder's watch returned).
func (r *Runner) Wait() {
	r.mu.Lock()
	runs := make([]*run, 0, len(r.runs))
	for _, ru := range r.runs {
		runs = append(runs, ru)
	}
	r.mu.Unlock()
	for _, ru := range runs {
		<-ru.done
	}
}
