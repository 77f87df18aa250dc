package backup

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/kumo-backup/kumo/backup/format"
)

// An entry is stored compactly (about a third of its JSON, so the index of
// a large folder stays small on disk and in memory once mapped): a version
// byte, then varints, the SHA-256 as 32 bytes, and the strings with their
// lengths. Indexes written before (JSON, starting with '{') still read.
const entryV1 = 1

const (
	flagVacated = 1 << iota
	flagHashBinary
	flagHashText // a hash that is not 64 hex digits (from an old catalog), kept as it is
	flagDamaged
)

func encodeEntry(e *Entry) []byte {
	b := make([]byte, 0, 64+len(e.Link)+len(e.Pending))
	b = append(b, entryV1)
	b = binary.AppendVarint(b, e.Size)
	b = binary.AppendVarint(b, e.MTime)
	b = binary.AppendUvarint(b, e.Inode)
	b = binary.AppendUvarint(b, uint64(e.Mode))
	var flags byte
	if e.Vacated {
		flags |= flagVacated
	}
	if e.Damaged {
		flags |= flagDamaged
	}
	hash, err := hex.DecodeString(e.SHA256)
	switch {
	case e.SHA256 == "":
	case err == nil && len(hash) == 32 && hex.EncodeToString(hash) == e.SHA256:
		flags |= flagHashBinary
	default:
		flags |= flagHashText
	}
	b = append(b, flags)
	switch {
	case flags&flagHashBinary != 0:
		b = append(b, hash...)
	case flags&flagHashText != 0:
		b = appendString(b, e.SHA256)
	}
	b = appendStamp(b, e.Since)
	b = appendString(b, e.Link)
	return appendString(b, e.Pending)
}

// appendStamp stores a Stamp as milliseconds plus one (0: none); a text
// that is not a Stamp is stored as it is after a marker.
func appendStamp(b []byte, stamp string) []byte {
	if stamp == "" {
		return binary.AppendUvarint(b, 0)
	}
	t, err := format.ParseStamp(stamp)
	if err != nil || t.UnixMilli() < 0 || format.Stamp(t) != stamp {
		b = binary.AppendUvarint(b, 1)
		return appendString(b, stamp)
	}
	return binary.AppendUvarint(b, uint64(t.UnixMilli())+2)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errBadEntry = errors.New("a damaged index entry")

func decodeEntry(v []byte, e *Entry) error {
	if len(v) > 0 && v[0] == '{' {
		return json.Unmarshal(v, e)
	}
	if len(v) == 0 || v[0] != entryV1 {
		return errBadEntry
	}
	d := decoder{b: v[1:]}
	*e = Entry{Size: d.varint(), MTime: d.varint(), Inode: d.uvarint(), Mode: uint32(d.uvarint())}
	flags := d.byte()
	e.Vacated, e.Damaged = flags&flagVacated != 0, flags&flagDamaged != 0
	switch {
	case flags&flagHashBinary != 0:
		e.SHA256 = hex.EncodeToString(d.bytes(32))
	case flags&flagHashText != 0:
		e.SHA256 = d.string()
	}
	switch ms := d.uvarint(); ms {
	case 0:
	case 1:
		e.Since = d.string()
	default:
		e.Since = format.Stamp(time.UnixMilli(int64(ms - 2)))
	}
	e.Link, e.Pending = d.string(), d.string()
	return d.err
}

// decoder reads what encodeEntry wrote, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errBadEntry
	}
	d.b = nil
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes(n int) []byte {
	if n < 0 || len(d.b) < n {
		d.fail()
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) string() string { return string(d.bytes(int(d.uvarint()))) }
