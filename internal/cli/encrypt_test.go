package cli_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/scrypt"

	"github.com/kumo-backup/kumo/backup/crypt"
	"github.com/kumo-backup/kumo/internal/cli"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// An encrypted folder end to end on the emulator, as a user meets it:
// `kumo backup --encrypt` asks for a passphrase twice and prints the
// recovery sheet; the server holds no plaintext, no plain SHA-256 and no
// key; rclone, configured from the sheet alone and run as
// docs/encryption.md says, reads every file and version back; a
// copy rclone writes into the current tree is restored by Kumo; a fresh
// machine restores two moments with the passphrase, and a wrong one gets
// its sentence and writes nothing.
func TestEncryptedFolderWithRclone(t *testing.T) {
	rclone := testenv.Require(t, "rclone")
	config, cache := isolate(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "") // no keyring: the passphrase is asked every time
	e := testenv.StartEmulator(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, e.Cert.CertPEM, 0o644)
	env := map[string]string{"KUMO_PASSWORD": e.AppsPassword}
	conn := []string{"--url", e.DAVURL("backup"), "--user", e.User, "--device", "laptop", "--ca-file", caFile}
	const passphrase = "ねこ と 雲 correct horse"
	plantedText := "KUMO-PLANTED-" + hex.EncodeToString(randomBytes(8))

	src := filepath.Join(t.TempDir(), "書類")
	files := map[string][]byte{
		"empty.txt": {}, "block.dat": randomBytes(64 << 10), "block+1.dat": randomBytes(64<<10 + 1),
		"large.bin": randomBytes(6<<20 + 77), "写真/旅行 2026.jpg": randomBytes(100 << 10),
		"notes/planted.txt": []byte("before " + plantedText + " after\n"),
	}
	writeFiles(t, src, files)

	var out, errOut string
	var code int
	withStdin(passphrase+"\n"+passphrase+"\n", func() {
		code, out, errOut = run(t, env, append(append([]string{"backup", "--once", "--encrypt"}, conn...), src)...)
	})
	if code != 0 {
		t.Fatalf("backup --encrypt: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "recovery sheet") || !strings.Contains(out, "[kumo-folder]") {
		t.Fatalf("the first encrypted backup should print the recovery sheet:\n%s", out)
	}
	sheet := out
	salt := sheetField(t, sheet, "Salt:")
	if sheetField(t, sheet, "Passphrase:") != passphrase {
		t.Fatalf("the sheet's passphrase is not the one typed:\n%s", sheet)
	}
	if strings.Contains(errOut, passphrase) {
		t.Error("the passphrase appears in the backup's messages")
	}
	onServer := filepath.Join(e.DataDir, e.User, "backup", "laptop", "書類")
	for name, b := range files {
		info, err := os.Stat(filepath.Join(onServer, filepath.FromSlash(name)+crypt.Suffix))
		if err != nil || info.Size() != crypt.EncryptedSize(int64(len(b))) {
			t.Errorf("%s on the server: %v; want %d encrypted bytes under %s.bin", name, err, crypt.EncryptedSize(int64(len(b))), name)
		}
	}

	// Nothing readable on the server, and no secret in Kumo's own files.
	raw, err := scrypt.Key([]byte(passphrase), []byte(salt), 16384, 8, 1, 80)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string][]byte{"the passphrase": []byte(passphrase), "the content key": raw[:32], "the hash key": raw[32:64],
		"the content key in hex": []byte(hex.EncodeToString(raw[:32])), "the hash key in hex": []byte(hex.EncodeToString(raw[32:64]))}
	serverMustNotHold := map[string][]byte{"the planted text": []byte(plantedText)}
	for k, v := range secrets {
		serverMustNotHold[k] = v
	}
	for name, b := range files {
		sum := sha256.Sum256(b)
		serverMustNotHold["the plain SHA-256 of "+name] = []byte(hex.EncodeToString(sum[:]))
		serverMustNotHold["the raw plain SHA-256 of "+name] = sum[:]
	}
	if n := assertNowhere(t, e.DataDir, serverMustNotHold); n < len(files)+2 {
		t.Errorf("only %d files on the server to search", n)
	}
	assertNowhere(t, config, secrets)
	assertNowhere(t, cache, secrets)

	confFile := filepath.Join(t.TempDir(), "rclone.conf")
	rcloneWork := t.TempDir() // where docs/encryption.md's ./Restored and ./Older land
	rcloneRun := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(rclone, append([]string{"--config", confFile, "--ca-cert", caFile, "--low-level-retries", "1", "--retries", "1"}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "RCLONE_PASSWORD_COMMAND=")
		cmd.Dir = rcloneWork
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("rclone %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return string(b)
	}

	// The second moment: an edit and a new file.
	first := filepath.Join(t.TempDir(), "first")
	os.CopyFS(first, os.DirFS(src))
	time.Sleep(20 * time.Millisecond)
	moment := time.Now()
	time.Sleep(20 * time.Millisecond)
	os.WriteFile(filepath.Join(src, "notes", "planted.txt"), []byte("rewritten "+plantedText), 0o644)
	os.WriteFile(filepath.Join(src, "new.txt"), []byte("新しいメモ"), 0o644)
	code, out, errOut = run(t, map[string]string{"KUMO_PASSWORD": e.AppsPassword, cli.PassphraseEnv: passphrase},
		append(append([]string{"backup", "--once"}, conn...), src)...)
	if code != 0 || strings.Contains(out, "recovery sheet") {
		t.Fatalf("second backup: exit %d (the sheet is shown only once)\n%s\n%s", code, out, errOut)
	}
	assertNowhere(t, e.DataDir, map[string][]byte{"the planted text": []byte(plantedText)})

	// docs/encryption.md's recovery, line by line, with the sheet's lines:
	// rclone alone reads the current files and the versions.
	for i, args := range recoveryCommands(t, e.AppsPassword) {
		out := rcloneRun(args...)
		if i == 0 { // rclone obscure: its output goes on the sheet's pass line
			conf := regexp.MustCompile(`(?m)^pass = .*$`).ReplaceAllLiteralString(sheet[strings.Index(sheet, "[infinicloud]"):], "pass = "+strings.TrimSpace(out))
			os.WriteFile(confFile, []byte(conf), 0o600)
		}
	}
	testenv.AssertSameTree(t, src, filepath.Join(rcloneWork, "Restored"))
	old, _ := filepath.Glob(filepath.Join(rcloneWork, "Older", "notes", "planted.txt", "*~*.txt"))
	if len(old) != 1 {
		t.Fatalf("rclone found versions %q of notes/planted.txt, want one", old)
	}
	if b, _ := os.ReadFile(old[0]); !bytes.Equal(b, files["notes/planted.txt"]) {
		t.Errorf("the version rclone read is %q, want the first content", b)
	}

	// A damaged copy, found by verify and put back with rclone from the
	// original, is what Kumo restores.
	damaged := filepath.Join(onServer, "block.dat"+crypt.Suffix)
	os.WriteFile(damaged, []byte("damaged"), 0o644)
	verify := append(append([]string{"verify", "--all"}, conn...), "書類")
	passEnv := map[string]string{"KUMO_PASSWORD": e.AppsPassword, cli.PassphraseEnv: passphrase}
	if code, out, _ := run(t, passEnv, verify...); code != 1 || !strings.Contains(out, "block.dat") {
		t.Fatalf("verify should find the damaged copy: exit %d\n%s", code, out)
	}
	before, _ := os.ReadFile(damaged)
	rcloneRun("copyto", filepath.Join(src, "block.dat"), "kumo-folder:block.dat")
	if after, _ := os.ReadFile(damaged); bytes.Equal(before, after) || int64(len(after)) != crypt.EncryptedSize(64<<10) {
		t.Fatalf("rclone did not write the copy back (%d bytes)", len(after))
	}
	if code, out, errOut := run(t, passEnv, verify...); code != 0 {
		t.Fatalf("verify after rclone's copy: exit %d\n%s\n%s", code, out, errOut)
	}

	// A fresh machine: only the account and the passphrase.
	isolate(t)
	fresh := map[string]string{"KUMO_PASSWORD": e.AppsPassword}
	code, out, errOut = run(t, fresh, append([]string{"restore", "--snapshots"}, conn...)...)
	if code != 0 || !strings.Contains(out, "書類") || !strings.Contains(out, "encrypted") {
		t.Fatalf("--snapshots should list the folder as encrypted: exit %d\n%s\n%s", code, out, errOut)
	}
	wrongTo := filepath.Join(t.TempDir(), "wrong")
	withStdin("not the passphrase\n", func() {
		code, out, errOut = run(t, fresh, append(append([]string{"restore", "--to", wrongTo}, conn...), "書類")...)
	})
	if code != 1 || !strings.Contains(errOut, "does not open the encrypted folder") {
		t.Fatalf("a wrong passphrase: exit %d, want its sentence\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(wrongTo); !os.IsNotExist(err) {
		t.Errorf("a wrong passphrase wrote %s (%v)", wrongTo, err)
	}
	for _, c := range []struct {
		at   string
		want string
	}{{moment.Format(time.RFC3339Nano), first}, {"latest", src}} {
		to := filepath.Join(t.TempDir(), "back")
		withStdin(passphrase+"\n", func() {
			code, out, errOut = run(t, fresh, append(append([]string{"restore", "--at", c.at, "--to", to}, conn...), "書類")...)
		})
		if code != 0 {
			t.Fatalf("restore at %s: exit %d\n%s\n%s", c.at, code, out, errOut)
		}
		testenv.AssertSameTree(t, c.want, to)
		if strings.Contains(out+errOut, passphrase) {
			t.Error("the passphrase appears in the restore's messages")
		}
	}
}

// recoveryCommands are the rclone lines of docs/encryption.md's recovery
// block, for this test's account and folder.
func recoveryCommands(t *testing.T, password string) [][]string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "encryption.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "<!-- recovery")
	if !ok {
		t.Fatal("docs/encryption.md has no recovery block")
	}
	_, block, _ = strings.Cut(block, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	var cmds [][]string
	for _, line := range strings.Split(block, "\n") {
		line, _, _ = strings.Cut(line, "#")
		fields := strings.Fields(strings.NewReplacer("'YOUR-APPS-PASSWORD'", password, "kumo-Documents", "kumo-folder").Replace(line))
		if len(fields) == 0 {
			continue
		}
		if fields[0] != "rclone" {
			t.Fatalf("the recovery block runs %q, not rclone", fields[0])
		}
		cmds = append(cmds, fields[1:])
	}
	if len(cmds) < 3 || cmds[0][0] != "obscure" {
		t.Fatalf("the recovery block should start with rclone obscure: %q", cmds)
	}
	return cmds
}

func withStdin(text string, f func()) {
	defer cli.SetStdin(strings.NewReader(text))()
	f()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func writeFiles(t *testing.T, root string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sheetField is the text after label on the recovery sheet.
func sheetField(t *testing.T, sheet, label string) string {
	t.Helper()
	for _, line := range strings.Split(sheet, "\n") {
		if v, ok := strings.CutPrefix(line, label); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("the recovery sheet has no %q line:\n%s", label, sheet)
	return ""
}

// assertNowhere fails for each of what that a file under root holds, and
// says how many files it searched.
func assertNowhere(t *testing.T, root string, what map[string][]byte) (searched int) {
	t.Helper()
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("reading %s: %v", p, err)
			return nil
		}
		searched++
		for name, needle := range what {
			if bytes.Contains(b, needle) {
				t.Errorf("%s holds %s", p, name)
			}
		}
		return nil
	})
	return searched
}

// --encrypt refuses, with a sentence and nothing set up: a short
// passphrase, two that differ, and a folder backed up without encryption
// (before any passphrase is asked).
func TestEncryptRefusals(t *testing.T) {
	isolate(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	e := testenv.StartEmulator(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, e.Cert.CertPEM, 0o644)
	conn := []string{"--url", e.DAVURL("backup"), "--user", e.User, "--device", "pc", "--ca-file", caFile}
	src := filepath.Join(t.TempDir(), "Notes")
	writeFiles(t, src, map[string][]byte{"a.txt": []byte("a")})
	marker := filepath.Join(e.DataDir, e.User, "backup", "pc", ".kumo", "encryption", "Notes.json")
	for _, c := range []struct {
		name, stdin, env, want string
	}{
		{"short", "", "short", "shorter than 8"},
		{"differ", "one passphrase\nanother passphrase\n", "", "differ"},
	} {
		env := map[string]string{"KUMO_PASSWORD": e.AppsPassword, cli.PassphraseEnv: c.env}
		var code int
		var errOut string
		withStdin(c.stdin, func() {
			code, _, errOut = run(t, env, append(append([]string{"backup", "--once", "--encrypt"}, conn...), src)...)
		})
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, %q; want %q", c.name, code, errOut, c.want)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("%s: the folder's encryption was set up", c.name)
		}
	}
	if code, out, errOut := run(t, map[string]string{"KUMO_PASSWORD": e.AppsPassword}, append(append([]string{"backup", "--once"}, conn...), src)...); code != 0 {
		t.Fatalf("plain backup: exit %d\n%s%s", code, out, errOut)
	}
	var code int
	var errOut string
	withStdin("", func() { // nothing to read: asking would fail with another sentence
		code, _, errOut = run(t, map[string]string{"KUMO_PASSWORD": e.AppsPassword}, append(append([]string{"backup", "--once", "--encrypt"}, conn...), src)...)
	})
	if code == 0 || !strings.Contains(errOut, "already backed up without encryption") {
		t.Errorf("--encrypt on a folder backed up without: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the unencrypted folder's encryption was set up")
	}
}
