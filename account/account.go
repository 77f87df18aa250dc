package account

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/transport"
)

// Service is the kind of server an account lives on.
type Service string

const (
	InfiniCLOUD Service = "infinicloud"
	WebDAV      Service = "webdav" // any standards-following WebDAV server
)

// Areas of an InfiniCLOUD account: /backup/ keeps backups apart from the
// main drive (the default); /dav/ shows them in the main drive.
const (
	AreaBackup = "backup"
	AreaDAV    = "dav"
)

// infiniHosts are the service's host name suffixes, current and legacy.
var infiniHosts = []string{".teracloud.jp", ".infini-cloud.net"}

// Account says where a user's backups go. It holds nothing secret: the
// password and API key live in the OS keyring.
type Account struct {
	Service Service `json:"service"`
	URL     string  `json:"url"` // the area's WebDAV URL, ending in /
	User    string  `json:"user"`
	Device  string  `json:"device"`
	// HasAPIKey records that the user's own API key is stored in the keyring.
	HasAPIKey bool `json:"has_api_key,omitempty"`
	// CAFile trusts a private certificate authority (self-hosted servers).
	CAFile string `json:"ca_file,omitempty"`
}

// Host is the server's host name (and port, if any).
func (a Account) Host() string {
	u, err := url.Parse(a.URL)
	if err != nil {
		return a.URL
	}
	return u.Host
}

// KeyringID names the account's entries in the keyring: one per user and server.
func (a Account) KeyringID() string { return a.User + "@" + a.Host() }

// passphraseID names the keyring entry of an encrypted folder's passphrase:
// one per account and folder on the server (device/name).
func (a Account) passphraseID(remoteFolder string) string {
	return "passphrase:" + remoteFolder + ":" + a.KeyringID()
}

// SavePassphrase keeps an encrypted folder's passphrase in the keyring.
func SavePassphrase(a Account, remoteFolder, passphrase string) error {
	return SaveSecret(a.passphraseID(remoteFolder), passphrase)
}

// LoadPassphrase reads an encrypted folder's passphrase; ErrNoSecret when
// the keyring has none (a fresh machine: ask the user).
func LoadPassphrase(a Account, remoteFolder string) (string, error) {
	return LoadSecret(a.passphraseID(remoteFolder))
}

// DeletePassphrase forgets an encrypted folder's passphrase.
func DeletePassphrase(a Account, remoteFolder string) error {
	return DeleteSecret(a.passphraseID(remoteFolder))
}

// apiKeyID names the account's API key entry.
func (a Account) apiKeyID() string { return "api-key:" + a.KeyringID() }

// InfiniCLOUDURL turns the WebDAV Connection URL from My Page ("Apps
// Connection", e.g. https://NODE.teracloud.jp/dav/) into the URL of the
// chosen area. Legacy TeraCLOUD host names are accepted as they are.
func InfiniCLOUDURL(pasted, area string) (string, error) {
	if area != AreaBackup && area != AreaDAV {
		return "", fmt.Errorf("unknown area %q: choose %q or %q", area, AreaBackup, AreaDAV)
	}
	raw := strings.TrimSpace(pasted)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := transport.ParseServerURL(raw)
	if err != nil {
		return "", err
	}
	host := u.Hostname()
	known := isLoopback(host) // the emulator
	for _, suffix := range infiniHosts {
		if strings.HasSuffix(strings.ToLower(host), suffix) && len(host) > len(suffix) {
			known = true
		}
	}
	if !known {
		return "", fmt.Errorf("%s is not an InfiniCLOUD address: copy the WebDAV Connection URL from My Page → Apps Connection "+
			"(it looks like https://NODE.teracloud.jp/dav/), or choose \"another WebDAV server\"", host)
	}
	u.Path = "/" + area + "/"
	return u.String(), nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// Validate checks an account before it is saved or used.
func (a Account) Validate() error {
	switch {
	case a.Service != InfiniCLOUD && a.Service != WebDAV:
		return fmt.Errorf("unknown service %q", a.Service)
	case strings.TrimSpace(a.User) == "":
		return errors.New("the Connection ID (user ID) is empty: copy it from My Page → Apps Connection")
	}
	if _, err := transport.ParseServerURL(a.URL); err != nil {
		return err
	}
	if a.Device != "" {
		return format.ValidateDeviceName(a.Device)
	}
	return nil
}

// Form is what a person gives to sign in, in the window or on the command
// line: the WebDAV Connection URL as pasted, the area, the Connection ID
// and this computer's name.
type Form struct {
	Service                 Service
	URL, Area, User, Device string
	CAFile                  string
}

// Account turns a form into an account; what is wrong is a problem with a
// sentence.
func (f Form) Account() (Account, error) {
	a := Account{Service: f.Service, User: strings.TrimSpace(f.User), Device: strings.TrimSpace(f.Device), CAFile: f.CAFile}
	switch f.Service {
	case InfiniCLOUD:
		u, err := InfiniCLOUDURL(f.URL, f.Area)
		if err != nil {
			return a, addressProblem(f.URL, err)
		}
		a.URL = u
	default:
		u, err := transport.ParseServerURL(f.URL)
		if err != nil {
			return a, addressProblem(f.URL, err)
		}
		a.URL = u.String()
	}
	if err := a.Validate(); err != nil {
		return a, addressProblem(a.URL, err)
	}
	return a, nil
}

// LoadCAFile reads a PEM file of certificate authorities to trust instead of
// the system's; an empty path means the system's.
func LoadCAFile(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the certificate authority file: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return roots, nil
}

// DefaultDevice names this computer on the server until the user renames
// it: the host name's first label, lower-case.
func DefaultDevice() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "computer"
	}
	return strings.ToLower(strings.SplitN(h, ".", 2)[0])
}
