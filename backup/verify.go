package backup

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/time/rate"

	"github.com/kumo-backup/kumo/backup/crypt"
	"github.com/kumo-backup/kumo/internal/problem"
)

// Verification reads the server's copies back a few at a time, in the
// index's order, so that every file is checked within a period however
// large the folder: a round starts with the folder's size and aims to be
// through it in half the period (a computer is not always on, unmetered
// and on mains). The same look notices local bit rot.

// VerifyState is where a folder's verification stands, kept in the index.
type VerifyState struct {
	Round     time.Time `json:"round"`  // when this round began (zero: none yet)
	Cursor    string    `json:"cursor"` // the last path checked in it
	Files     int64     `json:"files"`  // the folder's files and bytes when it began
	Bytes     int64     `json:"bytes"`
	DoneFiles int64     `json:"done_files"`
	DoneBytes int64     `json:"done_bytes"`
	Good      int64     `json:"good"` // checked and found as sent
	// The last round that went through every file.
	LastEnd   time.Time `json:"last_end,omitzero"`
	LastFiles int64     `json:"last_files,omitempty"`
	LastGood  int64     `json:"last_good,omitempty"`
}

// VerifyLimits bound one step of verification.
type VerifyLimits struct {
	Period   time.Duration // every file is checked within this (30 days)
	MaxFiles int           // files per step (500)
	MaxBytes int64         // bytes read per step (64 MiB)
	Rate     float64       // bytes per second read from the server and the disk (2 MiB/s); negative: no limit
}

// VerifyReport is what one step found.
type VerifyReport struct {
	Checked int64
	Bytes   int64
	Damaged []FileError // the server's copy differs from what was sent: the next pass sends it again
	Rotted  []FileError // the local content changed while size and time did not: the server's copy is kept
	State   VerifyState
}

const verifyKey = "verify"

// VerifyState reads where the folder's verification stands.
func (e *Engine) VerifyState() VerifyState {
	var st VerifyState
	if v := e.ix.Meta(e.folder, verifyKey); v != "" {
		_ = json.Unmarshal([]byte(v), &st) // a damaged record starts a new round
	}
	return st
}

func (e *Engine) saveVerifyState(st VerifyState) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return e.ix.SetMeta(e.folder, verifyKey, string(raw))
}

// Verify checks the next files of the rotation, as many as the schedule
// asks by now and the limits allow. A file a pass changed meanwhile is
// passed over (checked in the next round); errors reaching the server stop
// the step with what it did so far.
func (e *Engine) Verify(ctx context.Context, lim VerifyLimits) (VerifyReport, error) {
	lim = lim.withDefaults()
	now := e.now()
	st := e.VerifyState()
	if st.Round.IsZero() || st.Round.After(now) {
		st = e.newRound(st, now)
	}
	rep := VerifyReport{}
	var limiter *rate.Limiter
	if lim.Rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(lim.Rate), 256<<10)
	}
	files, bytes, all := verifyTarget(st, now, lim.Period)
	var stepErr error
	for all || st.DoneFiles < files || st.DoneBytes < bytes {
		if rep.Checked >= int64(lim.MaxFiles) || rep.Bytes >= lim.MaxBytes || ctx.Err() != nil {
			break
		}
		rel, en, ok := e.ix.after(e.folder, st.Cursor)
		if !ok { // through every file: the round is over
			st.LastEnd, st.LastFiles, st.LastGood = now, st.DoneFiles, st.Good
			st = e.newRound(st, now)
			break // the new round starts its schedule now
		}
		prev := st.Cursor
		st.Cursor = rel
		if en.Link != "" || en.Vacated || en.Pending != "" || en.Damaged || en.SHA256 == "" {
			continue // nothing confirmed to compare with; a pass settles it
		}
		damaged, rotted, err := e.verifyFile(ctx, rel, en, limiter)
		if err != nil {
			st.Cursor = prev // checked again next step
			stepErr = err
			break
		}
		rep.Checked++
		rep.Bytes += en.Size
		st.DoneFiles++
		st.DoneBytes += en.Size
		switch {
		case damaged != nil:
			rep.Damaged = append(rep.Damaged, FileError{Path: rel, Err: damaged})
		case rotted != nil:
			rep.Rotted = append(rep.Rotted, FileError{Path: rel, Err: rotted})
			st.Good++ // the server's copy is good: it is the local one that is not
		default:
			st.Good++
		}
	}
	if err := e.saveVerifyState(st); err != nil && stepErr == nil {
		stepErr = fmt.Errorf("recording the verification: %w", err)
	}
	rep.State = st
	if len(rep.Damaged)+len(rep.Rotted) > 0 || rep.Checked > 0 {
		e.log.Info("verified", "folder", e.folder, "checked", rep.Checked, "bytes", rep.Bytes,
			"damaged", len(rep.Damaged), "rotted", len(rep.Rotted), "round_done", st.DoneFiles, "round_files", st.Files)
	}
	return rep, stepErr
}

func (l VerifyLimits) withDefaults() VerifyLimits {
	if l.Period <= 0 {
		l.Period = 30 * 24 * time.Hour
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = 500
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = 64 << 20
	}
	if l.Rate == 0 {
		l.Rate = 2 << 20
	}
	return l
}

// newRound starts going through the folder again, from its first file,
// with its size now (one read of the index per round).
func (e *Engine) newRound(prev VerifyState, now time.Time) VerifyState {
	st := VerifyState{Round: now, LastEnd: prev.LastEnd, LastFiles: prev.LastFiles, LastGood: prev.LastGood}
	_ = e.ix.ForEach(e.folder, func(_ string, en Entry) {
		if en.Link == "" && !en.isDir() {
			st.Files++
			st.Bytes += en.Size
		}
	})
	return st
}

// verifyTarget is how far the round should be by now: all of it (to its
// end, files added since included) once half the period has passed.
func verifyTarget(st VerifyState, now time.Time, period time.Duration) (files, bytes int64, all bool) {
	frac := float64(now.Sub(st.Round)) / float64(period/2)
	frac = min(max(frac, 0), 1)
	return int64(frac*float64(st.Files) + 0.999), int64(frac * float64(st.Bytes)), frac >= 1
}

// verifyFile reads the server's copy of rel and compares it with what the
// index recorded; when the local file's size and time are the recorded
// ones it compares its bytes too. A file that changed meanwhile is neither.
func (e *Engine) verifyFile(ctx context.Context, rel string, en Entry, limiter *rate.Limiter) (damaged, rotted, err error) {
	got, size, err := e.hashRemote(ctx, e.folderAt.Current(rel), en.Size, limiter)
	if err != nil && !isNotFound(err) && !crypt.Damaged(err) {
		return nil, nil, err
	}
	if now, ok := e.ix.Get(e.folder, rel); !ok || now != en {
		return nil, nil, nil // a pass changed it meanwhile
	}
	if err != nil || got != en.SHA256 || size != en.Size {
		if marked, merr := e.ix.markDamaged(e.folder, rel, en); merr != nil {
			return nil, nil, merr
		} else if marked {
			e.log.Warn("the server's copy differs from what was sent", "path", rel, "want", en.SHA256, "got", got, "size", size)
			return problem.New(problem.CopyDamaged, nil, err), nil, nil
		}
		return nil, nil, nil
	}
	local := filepath.Join(e.opts.Root, filepath.FromSlash(rel))
	before, serr := os.Lstat(local)
	if serr != nil || !en.sameMeta(localEntry(before)) {
		return nil, nil, nil // changed or gone: the watcher and the next pass see to it
	}
	sum, herr := e.hashLocal(ctx, local, limiter)
	after, aerr := os.Lstat(local)
	if herr != nil || aerr != nil || !en.sameMeta(localEntry(after)) || sum == en.SHA256 {
		return nil, nil, nil
	}
	e.log.Warn("a file's content changed while its size and time did not", "path", rel, "recorded", en.SHA256, "now", sum)
	return nil, problem.New(problem.LocalBitRot, nil, nil), nil
}

// hashRemote is the hex content hash (newHash) and size of the server's copy, reading at
// most one byte more than size (a copy longer than that is not it anyway).
func (e *Engine) hashRemote(ctx context.Context, remote string, size int64, limiter *rate.Limiter) (string, int64, error) {
	body, err := e.remote.Get(ctx, remote)
	if err != nil {
		return "", 0, err
	}
	defer body.Close()
	h := e.newHash()
	n, err := io.Copy(h, &paced{ctx: ctx, r: io.LimitReader(body, size+1), limiter: limiter})
	if err != nil {
		return "", 0, fmt.Errorf("reading %s back: %w", remote, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// hashLocal is the hex content hash (newHash) of a file, read no faster
// than limiter allows (nil: at once).
func (e *Engine) hashLocal(ctx context.Context, path string, limiter *rate.Limiter) (string, error) {
	return hashWith(ctx, e.newHash(), path, limiter)
}

func hashWith(ctx context.Context, h hash.Hash, path string, limiter *rate.Limiter) (string, error) {
	f, err := openLocal(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, &paced{ctx: ctx, r: f, limiter: limiter}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// paced reads no faster than its limiter allows.
type paced struct {
	ctx     context.Context
	r       io.Reader
	limiter *rate.Limiter
}

func (p *paced) Read(b []byte) (int, error) {
	if p.limiter != nil && len(b) > p.limiter.Burst() {
		b = b[:p.limiter.Burst()]
	}
	n, err := p.r.Read(b)
	if p.limiter != nil && n > 0 {
		if werr := p.limiter.WaitN(p.ctx, n); werr != nil {
			return n, werr
		}
	}
	return n, err
}
