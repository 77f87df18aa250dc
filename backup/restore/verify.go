package restore

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"path"
	"sync"
	"time"
)

// VerifyOptions says how thoroughly to check a snapshot's copies.
type VerifyOptions struct {
	Paths   []string // files and folders to check; none means all
	Sample  int      // download and hash this many files, chosen at random
	All     bool     // download and hash every file
	Workers int      // parallel checks; 4 when zero
}

// VerifyReport is what a verification found.
type VerifyReport struct {
	Files    int   // files checked
	Bytes    int64 // their size, as the catalog gives it
	SizesOK  int   // files with a copy of the right size on the server
	Hashed   int   // files downloaded whose SHA-256 matched
	Problems []Note
	Duration time.Duration
}

// Verify checks that the server holds every file of the snapshot: a copy
// of the right size always (from folder listings, no download), and the
// right SHA-256 for the files it downloads (a sample, or all).
func (v *View) Verify(ctx context.Context, opts VerifyOptions) (*VerifyReport, error) {
	start := time.Now()
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	var files []File
	for _, f := range v.Select(opts.Paths) {
		if f.Link == "" {
			files = append(files, f)
		}
	}
	hash := map[string]bool{}
	if opts.All {
		opts.Sample = len(files)
	}
	for _, i := range rand.Perm(len(files))[:min(opts.Sample, len(files))] {
		hash[files[i].Path] = true
	}
	rep := &VerifyReport{}
	var mu sync.Mutex
	forEach(ctx, opts.Workers, files, func(f File) {
		problem, sized, hashed := v.verifyFile(ctx, f, hash[f.Path])
		mu.Lock()
		defer mu.Unlock()
		rep.Files++
		rep.Bytes += f.Size
		if sized {
			rep.SizesOK++
		}
		if hashed {
			rep.Hashed++
		}
		if problem != "" {
			rep.Problems = append(rep.Problems, Note{Path: f.Path, Reason: problem})
		}
	})
	rep.Duration = time.Since(start)
	return rep, ctx.Err()
}

// verifyFile finds a copy of f of the right size, and when download is
// set, one whose bytes hash to f's SHA-256.
func (v *View) verifyFile(ctx context.Context, f File, download bool) (problem string, sized, hashed bool) {
	var seen string
	err := v.locate(ctx, f, func(remote string) (bool, error) {
		infos, err := v.listDir(ctx, path.Dir(remote))
		if err != nil {
			return false, nil
		}
		for _, fi := range infos {
			if fi.Name() != path.Base(remote) || fi.IsDir() {
				continue
			}
			if fi.Size() != f.Size {
				seen = fmt.Sprintf("the server's copy has %d bytes, the catalog says %d", fi.Size(), f.Size)
				return false, nil
			}
			sized = true
			if !download {
				return true, nil
			}
			ok, err := v.hashMatches(ctx, remote, f)
			if err != nil || !ok {
				seen = "the server's copy does not match its recorded SHA-256"
				if err != nil {
					seen = "cannot download it: " + err.Error()
				}
				return false, ctx.Err()
			}
			hashed = true
			return true, nil
		}
		return false, nil
	})
	switch {
	case err == nil:
		return "", sized, hashed
	case ctx.Err() != nil:
		return "", sized, hashed
	case seen != "":
		return seen, sized, hashed
	}
	return err.Error(), sized, hashed
}

func (v *View) hashMatches(ctx context.Context, remote string, f File) (bool, error) {
	body, err := v.remote.Get(ctx, remote)
	if err != nil {
		return false, err
	}
	defer body.Close()
	h := v.newHash()
	if _, err := io.Copy(h, io.LimitReader(body, f.Size+1)); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == f.SHA256, nil
}
