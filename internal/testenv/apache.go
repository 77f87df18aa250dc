package testenv

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"
)

// Apache is a running httpd with mod_dav serving DataDir at URL over TLS 1.2+
// with BASIC auth, as a standards-following third-party WebDAV server.
type Apache struct {
	URL      string // https://127.0.0.1:PORT/dav/
	User     string
	Password string
	DataDir  string // what the server stores, to compare against the source
	Certs    *Certs

	bin, conf, root string
}

// LogLine is one request from the access log.
type LogLine struct {
	Method string
	Path   string
	Status int
	Bytes  int64 // request bytes received, headers included
}

const apacheModules = "/usr/lib/apache2/modules"

var apacheConf = template.Must(template.New("httpd.conf").Parse(`
ServerRoot "{{.Root}}"
DefaultRuntimeDir "{{.Root}}"
ServerName localhost
Listen 127.0.0.1:{{.Port}}
PidFile "{{.Root}}/httpd.pid"
ErrorLog "{{.Root}}/error.log"
LogLevel warn
LogFormat "%m %>s %I %U" kumo
CustomLog "{{.Root}}/access.log" kumo
{{if .RunAs}}User {{.RunAs}}
Group {{.RunAs}}{{end}}
{{range .Modules}}LoadModule {{.}}_module {{$.ModDir}}/mod_{{.}}.so
{{end}}
Timeout 60
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 15
LimitRequestBody 0

SSLEngine on
SSLProtocol -all +TLSv1.2 +TLSv1.3
SSLCertificateFile "{{.Cert}}"
SSLCertificateKeyFile "{{.Key}}"

DavLockDB "{{.Root}}/lock/DavLock"
Alias /dav "{{.Data}}"
<Directory "{{.Data}}">
	Dav On
	Options None
	AllowOverride None
	AuthType Basic
	AuthName "Kumo test"
	AuthBasicProvider file
	AuthUserFile "{{.Root}}/htpasswd"
	<RequireAll>
		Require valid-user
{{if .ReadOnly}}		Require method GET HEAD OPTIONS PROPFIND
{{end}}	</RequireAll>
</Directory>
`))

// ApacheOption changes the fixture's configuration.
type ApacheOption func(*apacheOptions)

type apacheOptions struct {
	readOnly bool
	modDir   bool
	dataDir  string
}

// ModDir loads mod_dir, as the service's nodes behave: a collection asked
// for without its trailing slash answers 301 to the slashed address.
func ModDir() ApacheOption { return func(o *apacheOptions) { o.modDir = true } }

// ReadOnly lets the user read but refuses every write with 403.
func ReadOnly() ApacheOption { return func(o *apacheOptions) { o.readOnly = true } }

// DataDir stores what the server receives in dir (an empty folder), e.g. on
// tmpfs so a benchmark measures the clients and not the disk's write budget.
func DataDir(dir string) ApacheOption { return func(o *apacheOptions) { o.dataDir = dir } }

// StartApache starts a private Apache on a free loopback port and stops it
// when the test ends.
func StartApache(t testing.TB, opts ...ApacheOption) *Apache {
	t.Helper()
	bin := Require(t, "apache2")
	htpasswd := Require(t, "htpasswd")
	if _, err := os.Stat(filepath.Join(apacheModules, "mod_dav_fs.so")); err != nil {
		Missing(t, "Apache's mod_dav_fs is not installed in %s", apacheModules)
	}

	var o apacheOptions
	for _, opt := range opts {
		opt(&o)
	}
	root := t.TempDir()
	a := &Apache{
		User:     "kumo",
		Password: randomHex(t, 12),
		DataDir:  filepath.Join(root, "data"),
		Certs:    NewCerts(t, root),
		bin:      bin,
		conf:     filepath.Join(root, "httpd.conf"),
		root:     root,
	}
	if o.dataDir != "" {
		a.DataDir = o.dataDir // its parents must let the server's user in
	}
	for _, d := range []string{a.DataDir, filepath.Join(root, "lock")} {
		if err := os.Mkdir(d, 0o755); err != nil && !(d == o.dataDir && os.IsExist(err)) {
			t.Fatal(err)
		}
	}
	runAs := ""
	if os.Geteuid() == 0 {
		// Apache drops to www-data: it must own what it writes and be able
		// to enter every parent folder (t.TempDir makes them 0700).
		runAs = "www-data"
		u, err := user.Lookup(runAs)
		if err != nil {
			Missing(t, "user www-data (created by the apache2 package)")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, d := range []string{a.DataDir, filepath.Join(root, "lock")} {
			if err := os.Chown(d, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
		openParents(t, root)
	}

	// SHA-1, not bcrypt: Apache checks the hash on every request, and bcrypt
	// alone capped the fixture near 300 requests/s, hiding the client's speed.
	// The password is random and the server is on loopback for one test.
	cmd := exec.Command(htpasswd, "-i", "-s", "-c", filepath.Join(root, "htpasswd"), a.User)
	cmd.Stdin = strings.NewReader(a.Password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("htpasswd: %v: %s", err, out)
	}
	if err := os.Chmod(filepath.Join(root, "htpasswd"), 0o644); err != nil {
		t.Fatal(err)
	}

	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port := freePort(t)
		var conf bytes.Buffer
		modules := []string{"mpm_event", "authz_core", "authn_core", "authn_file", "auth_basic",
			"authz_user", "dav", "dav_fs", "ssl", "alias"}
		if o.modDir {
			modules = append(modules, "dir")
		}
		err := apacheConf.Execute(&conf, map[string]any{
			"Root": root, "Port": port, "RunAs": runAs, "ModDir": apacheModules, "Modules": modules,
			"Cert": a.Certs.CertFile, "Key": a.Certs.KeyFile, "Data": a.DataDir, "ReadOnly": o.readOnly,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(a.conf, conf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if lastErr = a.apachectl("start"); lastErr != nil {
			continue
		}
		a.URL = fmt.Sprintf("https://127.0.0.1:%d/dav/", port)
		if lastErr = waitTLS(fmt.Sprintf("127.0.0.1:%d", port), a.Certs, 10*time.Second); lastErr == nil {
			t.Cleanup(a.stop)
			return a
		}
		a.stop()
	}
	log, _ := os.ReadFile(filepath.Join(root, "error.log"))
	t.Fatalf("apache did not start: %v\nerror.log:\n%s", lastErr, log)
	return nil
}

func (a *Apache) apachectl(verb string) error {
	cmd := exec.Command(a.bin, "-f", a.conf, "-k", verb)
	cmd.Env = append(os.Environ(), "APACHE_STARTED_BY_SYSTEMD=") // no systemd hand-off
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("apache2 -k %s: %v: %s", verb, err, out)
	}
	return nil
}

// stop stops httpd and waits until its main process is gone.
func (a *Apache) stop() {
	pidFile := filepath.Join(a.root, "httpd.pid")
	raw, _ := os.ReadFile(pidFile)
	_ = a.apachectl("stop")
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !processAlive(pid) {
			return
		}
	}
	killProcess(pid)
}

// AccessLog returns the requests the server has logged so far. Apache
// writes a line after sending its response, so it first waits until the log
// has stopped growing for a moment.
func (a *Apache) AccessLog(t testing.TB) []LogLine {
	t.Helper()
	path := filepath.Join(a.root, "access.log")
	last := int64(-1)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		st, err := os.Stat(path)
		if err == nil && st.Size() == last {
			break
		}
		if err == nil {
			last = st.Size()
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []LogLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// The decoded path may hold spaces, so it comes last.
		fields := strings.SplitN(sc.Text(), " ", 4)
		if len(fields) != 4 {
			continue
		}
		status, _ := strconv.Atoi(fields[1])
		n, _ := strconv.ParseInt(fields[2], 10, 64)
		lines = append(lines, LogLine{Method: fields[0], Status: status, Bytes: n, Path: fields[3]})
	}
	return lines
}

// CountMethod counts logged requests with the given method.
func (a *Apache) CountMethod(t testing.TB, method string) int {
	n := 0
	for _, l := range a.AccessLog(t) {
		if l.Method == method {
			n++
		}
	}
	return n
}

// openParents lets other users enter every folder from dir up to the
// temp root, so a server running as www-data can reach its data.
func openParents(t testing.TB, dir string) {
	tmp := filepath.Clean(os.TempDir())
	for d := dir; strings.HasPrefix(d, tmp) && d != tmp; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, st.Mode().Perm()|0o055); err != nil {
			t.Fatal(err)
		}
	}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitTLS(addr string, certs *Certs, limit time.Duration) error {
	var err error
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var c *tls.Conn
		c, err = tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr,
			&tls.Config{RootCAs: certs.Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
		if err == nil {
			return c.Close()
		}
	}
	return err
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
