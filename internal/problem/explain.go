package problem

import (
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/transport"
)

// Where says what a failure happened to, for its sentence.
type Where struct {
	Host, User, URL string
	InfiniCLOUD     bool
	// Checking is a connection check (signing in, Test connection): a
	// refused password is then a wrong one, not one that changed.
	Checking bool
	// Redact removes secrets from a cause before it goes into a sentence.
	Redact func(string) string
}

// Explain turns any error into its problem: one already in the chain, or
// the transport's classes and the network's and TLS's errors, so every
// failure a person sees has a sentence. nil stays nil.
func Explain(err error, w Where) *Error {
	if err == nil {
		return nil
	}
	if p, ok := As(err); ok {
		return p
	}
	msg := err.Error()
	if w.Redact != nil {
		msg = w.Redact(msg)
	}
	cause := Args{"cause": msg, "host": w.Host}
	host := Args{"host": w.Host}
	var (
		dnsErr   *net.DNSError
		invalid  x509.CertificateInvalidError
		hostErr  x509.HostnameError
		unknown  x509.UnknownAuthorityError
		status   *transport.StatusError
		netErr   *transport.NetError
		redirect *transport.RedirectError
		chain    *transport.IncompleteChainError
		gap      *format.GapError
		locked   *format.LockedError
	)
	switch {
	case errors.Is(err, transport.ErrDigestOnly):
		return New(DigestOnly, nil, err)
	case errors.Is(err, transport.ErrPinMismatch):
		return New(TLSPin, nil, err)
	case errors.Is(err, transport.ErrBadMultistatus):
		return New(BadListing, nil, err)
	case errors.As(err, &redirect):
		return New(Redirected, Args{"to": redirect.To}, err)
	case errors.As(err, &chain):
		return New(IncompleteChain, Args{"host": chain.Host}, err)
	case errors.As(err, &gap):
		first, last := gap.Missing, gap.Missing
		if len(gap.Affected) > 0 {
			first, last = gap.Affected[0], gap.Affected[len(gap.Affected)-1]
		}
		return New(HistoryGap, Args{"folder": gap.Folder.Name, "n": strconv.Itoa(len(gap.Affected)),
			"first": moment(first), "last": moment(last)}, err)
	case errors.As(err, &locked) && locked.Wrong:
		return New(PassphraseWrong, Args{"folder": locked.Folder.Name}, err)
	case errors.As(err, &locked):
		return New(PassphraseNeeded, Args{"folder": locked.Folder.Name}, err)
	case errors.As(err, &dnsErr):
		return New(HostNotFound, Args{"host": dnsErr.Name}, err)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return New(TLSExpired, Args{"host": w.Host, "date": invalid.Cert.NotAfter.Format("2 January 2006")}, err)
	case errors.As(err, &hostErr):
		return New(TLSWrongHost, host, err)
	case errors.As(err, &unknown) || errors.As(err, &invalid):
		return New(TLSUntrusted, host, err)
	case errors.As(err, &status):
		return explainStatus(status, err, w, cause)
	case transport.Classify(err) == transport.ClassSetup && strings.Contains(err.Error(), "protocol version"):
		return New(TLSOld, host, err)
	case transport.Classify(err) == transport.ClassSetup:
		return New(NoSecureConnection, cause, err)
	case errors.As(err, &netErr):
		if w.Checking {
			return New(Offline, host, err)
		}
		return New(ServerUnreachable, cause, err)
	}
	if w.Checking {
		return New(CheckFailed, cause, err)
	}
	return New(Other, cause, err)
}

func explainStatus(se *transport.StatusError, err error, w Where, cause Args) *Error {
	args := Args{"host": w.Host, "user": w.User, "url": w.URL, "code": strconv.Itoa(se.Code),
		"status": http.StatusText(se.Code)}
	switch transport.Classify(err) {
	case transport.ClassAuth:
		switch {
		case !w.Checking:
			return New(PasswordRefused, nil, err)
		case w.InfiniCLOUD:
			return New(WrongPassword, args, err)
		}
		return New(WrongPasswordWebDAV, args, err)
	case transport.ClassQuota:
		if w.Checking {
			return New(QuotaFull, Args{"used": ""}, err)
		}
		return New(QuotaFullPaused, nil, err)
	}
	if !w.Checking {
		if transport.Classify(err) == transport.ClassRetry {
			return New(ServerUnreachable, cause, err)
		}
		return New(Other, cause, err)
	}
	switch code := se.Code; {
	case code == http.StatusNotFound || code == http.StatusConflict && se.Op != "PUT":
		return New(AreaMissing, args, err)
	case code == http.StatusForbidden || code == http.StatusMethodNotAllowed || code == http.StatusConflict:
		if se.Op == "PUT" || se.Op == "MKCOL" {
			return New(AreaReadOnly, args, err)
		}
		return New(AreaRefused, args, err)
	}
	return New(ServerStatus, args, err)
}

// Sentence is what a person is shown for err in the app, in the language in
// use; For is the same for an audience.
func Sentence(err error, w Where) string { return For(err, w, App) }

// For explains err for an audience; "" for nil.
func For(err error, w Where, a Audience) string {
	p := Explain(err, w)
	if p == nil {
		return ""
	}
	s := p.For(a)
	if w.Redact != nil {
		s = w.Redact(s)
	}
	return s
}

// moment shows a stamp as local time.
func moment(stamp string) string {
	t, err := format.ParseStamp(stamp)
	if err != nil {
		return stamp
	}
	return t.Local().Format("2 Jan 2006 15:04:05")
}
