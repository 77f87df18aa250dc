package transport

import (
	"context"
	"encoding/base64"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
)

const redacted = "[REDACTED]"

// sensitiveKeys are attribute names whose values are never logged.
var sensitiveKeys = []string{"password", "passwd", "authorization", "api_key", "apikey", "api-key", "secret", "sig", "token", "cookie"}

// secretPatterns catch secrets inside free text: URLs with a matrix API key
// or signature parameters, Authorization header values.
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(;api_key=)[^/;?#&\s"]*`),
	regexp.MustCompile(`(?i)([?&](?:api_key|sig|nonce)=)[^&#\s"]*`),
	regexp.MustCompile(`(?i)((?:x-infinicloud-api-key|x-teracloud-api-key)["']?\s*[:=]\s*["']?)[^\s"',]+`),
	regexp.MustCompile(`(?i)\b(basic|bearer|digest)\s+[A-Za-z0-9+/=._~-]{6,}`),
}

// Redactor removes known secrets and secret-shaped text from strings.
// It is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// NewRedactor redacts the given secrets (and their BASIC encodings with
// user) wherever they appear, plus anything matching secretPatterns.
func NewRedactor(user string, secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(user, secrets...)
	return r
}

// Add makes r redact more secrets from now on (a password signed in with
// after the log was opened).
func (r *Redactor) Add(user string, secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) < 4 || slices.Contains(r.secrets, s) { // too short to search for without mangling text, or known
			continue
		}
		r.secrets = append(r.secrets, s, base64.StdEncoding.EncodeToString([]byte(user+":"+s)))
	}
}

// String returns s with every secret replaced by [REDACTED].
func (r *Redactor) String(s string) string {
	r.mu.RLock()
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, redacted)
	}
	r.mu.RUnlock()
	for _, p := range secretPatterns {
		s = p.ReplaceAllString(s, "${1}"+redacted)
	}
	return s
}

// Handler wraps next so no record it passes on carries a secret.
func (r *Redactor) Handler(next slog.Handler) slog.Handler {
	return &redactingHandler{next: next, r: r}
}

type redactingHandler struct {
	next slog.Handler
	r    *Redactor
}

func (h *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &redactingHandler{next: h.next.WithAttrs(clean), r: h.r}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{next: h.next.WithGroup(name), r: h.r}
}

func (h *redactingHandler) attr(a slog.Attr) slog.Attr {
	key := strings.ToLower(a.Key)
	for _, s := range sensitiveKeys {
		if key == s || strings.HasSuffix(key, "_"+s) || strings.HasSuffix(key, "."+s) {
			return slog.String(a.Key, redacted)
		}
	}
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		return slog.Group(a.Key, clean...)
	}
	// Render everything else (errors, URLs, structs) to text and scrub it.
	return slog.String(a.Key, h.r.String(v.String()))
}
