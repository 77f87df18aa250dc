package backup

import (
	"encoding/json"
	"testing"
)

// Entries read back as they were written, in the compact form and from an
// index written before it (JSON).
func TestEntryEncoding(t *testing.T) {
	for _, e := range []Entry{
		{},
		{Size: 12, MTime: 1772442000123456789, Inode: 99, Mode: 0o644, SHA256: "ab" + string(make([]byte, 0)) + "cdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", Since: "20260302T090000.123Z"},
		{Size: -1, MTime: -5, SHA256: "not-a-hash", Since: "19700101T000000.000Z", Link: "../up", Pending: "pc/.kumo/versions/x/1~2.txt", Vacated: true},
		{Since: "yesterday", SHA256: "ABCDEF"},
		{Size: 7, SHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Since: "20260302T090000.000Z", Damaged: true},
	} {
		var got Entry
		if err := decodeEntry(encodeEntry(&e), &got); err != nil || got != e {
			t.Errorf("%+v read back as %+v (%v)", e, got, err)
		}
		old, _ := json.Marshal(e)
		if err := decodeEntry(old, &got); err != nil || got != e {
			t.Errorf("%+v from JSON read back as %+v (%v)", e, got, err)
		}
		enc := encodeEntry(&e)
		for i := range enc {
			var partial Entry
			if decodeEntry(enc[:i], &partial) == nil {
				t.Errorf("%+v cut at %d read without an error", e, i)
				break
			}
		}
	}
}
