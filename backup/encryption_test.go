package backup_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/crypt"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// An encrypted folder on both servers: every file and version is rclone's
// format under the plain name plus ".bin", a rename is still one MOVE, a
// lost index is rebuilt from the encrypted catalog without uploading
// again, and a wrong passphrase or an unencrypted folder write nothing.
func TestEncryptedFolderLifecycle(t *testing.T) {
	for name, start := range servers() {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			ctx := context.Background()
			client := srv.client(t, srv.pass)
			src := filepath.Join(testenv.TempDir(t), "Private")
			files := map[string]string{"a.txt": "alpha-1", "empty.txt": "", "dir/b.txt": strings.Repeat("bravo ", 20000), "名前/メモ.txt": "日本語のメモ"}
			for rel, content := range files {
				writeFile(t, src, rel, content)
			}
			const passphrase = "a long enough passphrase"
			key, marker, created, err := backup.UnlockFolder(ctx, client, "pc", src, true, given(passphrase))
			if err != nil || !created {
				t.Fatalf("a new folder's unlock: created %v, %v", created, err)
			}
			index := filepath.Join(testenv.TempDir(t), "index.db")
			opts := backup.Options{Root: src, Device: "pc", IndexPath: index, Key: key}
			pass := func() *backup.Summary {
				t.Helper()
				sum, err := backup.RunOnce(ctx, client, opts)
				if err != nil || len(sum.Failed) > 0 {
					t.Fatalf("pass: %v %v", err, sum.Failed)
				}
				return sum
			}
			pass()
			current := filepath.Join(srv.dataDir, "pc", "Private")
			for rel, content := range files {
				if got := decryptFile(t, key, filepath.Join(current, filepath.FromSlash(rel)+crypt.Suffix)); got != content {
					t.Errorf("%s on the server decrypts to %d bytes, want %d", rel, len(got), len(content))
				}
				if _, err := os.Stat(filepath.Join(current, filepath.FromSlash(rel))); err == nil {
					t.Errorf("%s is on the server under its plain name", rel)
				}
			}

			delta := func(method string, fn func()) int {
				before := srv.count(method)
				fn()
				return srv.count(method) - before
			}
			writeFile(t, src, "a.txt", "alpha-2")
			os.Rename(filepath.Join(src, "dir", "b.txt"), filepath.Join(src, "dir", "b-renamed.txt"))
			var sum *backup.Summary
			moves := delta("MOVE", func() { sum = pass() })
			if sum.Moved != 1 || sum.Versioned != 1 || moves != 2 {
				t.Errorf("an edit and a rename: %d MOVE (want the version's and the rename's), summary %+v", moves, sum)
			}
			versions, _ := filepath.Glob(filepath.Join(srv.dataDir, "pc", ".kumo", "versions", "Private", "a.txt", "*"))
			if len(versions) != 1 || !strings.HasSuffix(versions[0], crypt.Suffix) || decryptFile(t, key, versions[0]) != "alpha-1" {
				t.Errorf("a.txt's version: %q, want one encrypted copy of the old content", versions)
			}
			catalogs, _ := filepath.Glob(filepath.Join(srv.dataDir, "pc", ".kumo", "catalogs", "Private", "*"))
			for _, c := range catalogs {
				if b, _ := os.ReadFile(c); !strings.HasSuffix(c, crypt.Suffix) || !bytes.HasPrefix(b, []byte("RCLONE\x00\x00")) {
					t.Errorf("catalog piece %s is not encrypted", filepath.Base(c))
				}
			}
			if len(catalogs) == 0 {
				t.Error("no catalog on the server")
			}

			// Verification reads the copies back through the key: all good, then
			// one damaged on the server is found.
			verify := func() backup.VerifyReport {
				t.Helper()
				e, err := backup.New(client, opts)
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				// The first step starts a round; a millisecond later the whole period is due.
				lim := backup.VerifyLimits{Period: time.Millisecond, MaxFiles: 100, MaxBytes: 1 << 30, Rate: -1}
				first, err := e.Verify(ctx, lim)
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(2 * time.Millisecond)
				rep, err := e.Verify(ctx, lim)
				if err != nil {
					t.Fatal(err)
				}
				rep.Checked += first.Checked
				rep.Damaged = append(first.Damaged, rep.Damaged...)
				return rep
			}
			if rep := verify(); rep.Checked != int64(len(files)) || len(rep.Damaged) != 0 {
				t.Errorf("verifying the encrypted copies: %d checked of %d, damaged %v", rep.Checked, len(files), rep.Damaged)
			}
			os.WriteFile(filepath.Join(current, "名前", "メモ.txt"+crypt.Suffix), []byte("RCLONE\x00\x00 but not the file"), 0o644)
			if rep := verify(); len(rep.Damaged) != 1 || rep.Damaged[0].Path != "名前/メモ.txt" {
				t.Errorf("a damaged encrypted copy: %+v", rep.Damaged)
			}
			pass() // sends it again

			os.Remove(index)
			if puts := delta("PUT", func() { sum = pass() }); puts > 1 || sum.Files != 0 {
				t.Errorf("a lost index, rebuilt from the encrypted catalog: %d PUT, %d files uploaded again", puts, sum.Files)
			}

			again, _, created, err := backup.UnlockFolder(ctx, client, "pc", src, true, given(passphrase))
			if err != nil || created || again.Hash().Size() == 0 {
				t.Fatalf("the same passphrase again: created %v, %v", created, err)
			}
			writes := func() int { return srv.count("PUT") + srv.count("MKCOL") + srv.count("MOVE") + srv.count("DELETE") }
			before := writes()
			var locked *format.LockedError
			if _, _, _, err := backup.UnlockFolder(ctx, client, "pc", src, false, given("not the passphrase")); !errors.As(err, &locked) || !locked.Wrong {
				t.Errorf("a wrong passphrase: %v, want a LockedError", err)
			}
			if n := writes() - before; n != 0 {
				t.Errorf("a wrong passphrase wrote %d times", n)
			}
			// Its config lost the setting: the index knows the folder, the key is missing.
			writeFile(t, src, "a.txt", "alpha-3")
			if _, err := backup.RunOnce(ctx, client, backup.Options{Root: src, Device: "pc", IndexPath: index}); !errors.As(err, &locked) || locked.Wrong {
				t.Errorf("backing up an encrypted folder without its key: %v, want a LockedError", err)
			}
			if n := writes() - before; n != 0 {
				t.Errorf("backing up without the key wrote %d times", n)
			}
			plain := filepath.Join(testenv.TempDir(t), "Plain")
			writeFile(t, plain, "x.txt", "x")
			if _, err := backup.RunOnce(ctx, client, backup.Options{Root: plain, Device: "pc", IndexPath: filepath.Join(testenv.TempDir(t), "i.db")}); err != nil {
				t.Fatal(err)
			}
			before = writes()
			var p *problem.Error
			if _, _, _, err := backup.UnlockFolder(ctx, client, "pc", plain, true, refuse(t)); !errors.As(err, &p) || p.Kind != problem.AlreadyPlain {
				t.Errorf("an unencrypted folder: %v, want AlreadyPlain", err)
			}
			if key, _, _, err := backup.UnlockFolder(ctx, client, "pc", plain, false, refuse(t)); key != nil || err != nil {
				t.Errorf("an unencrypted folder, not asked to be encrypted: key %v, %v", key, err)
			}
			if n := writes() - before; n != 0 {
				t.Errorf("refusing an unencrypted folder wrote %d times", n)
			}
			if m, _ := format.ReadMarker(ctx, client, format.Folder{Device: "pc", Name: "Private"}); m == nil || m.Salt != marker.Salt {
				t.Errorf("the marker changed: %+v", m)
			}
		})
	}
}

func given(passphrase string) func(bool) (string, error) {
	return func(bool) (string, error) { return passphrase, nil }
}

// refuse fails the test if the passphrase is asked.
func refuse(t *testing.T) func(bool) (string, error) {
	return func(bool) (string, error) {
		t.Error("the passphrase was asked for a folder that cannot be encrypted")
		return "x", nil
	}
}

func decryptFile(t *testing.T, key *crypt.Key, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	plain, err := key.Decrypt(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(plain)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b)
}

// Forgetting a folder leaves a folder whose name starts the same.
func TestForgetFolderKeepsItsNeighbours(t *testing.T) {
	ix, err := backup.OpenIndex(filepath.Join(testenv.TempDir(t), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for _, folder := range []string{"pc/Docs", "pc/Docs old", "pc/Doc"} {
		for _, rel := range []string{"a.txt", "sub/b.txt"} {
			if err := ix.Put(folder, rel, backup.Entry{Size: 1, SHA256: "00"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := ix.ForgetFolder("pc/Docs"); err != nil {
		t.Fatal(err)
	}
	if !ix.Empty("pc/Docs") {
		t.Error("the forgotten folder still has files")
	}
	for _, folder := range []string{"pc/Docs old", "pc/Doc"} {
		if _, ok := ix.Get(folder, "sub/b.txt"); !ok || ix.Empty(folder) {
			t.Errorf("forgetting pc/Docs took %s's files", folder)
		}
	}
}
