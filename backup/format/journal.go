package format

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// JournalVersion is the journal format written by this Kumo.
const JournalVersion = 1

// A folder's history is a chain of moments, one per pass that changed
// something. Each moment is recorded as a journal record (what changed
// since the moment before it, which it names) and some moments also as a
// checkpoint (the whole folder then, a catalog). Journal records live one
// per file right after their pass, and are later packed into segments.
// See docs/remote-layout.md.

// JournalHeader starts the record of one moment.
type JournalHeader struct {
	Kumo   int    `json:"kumo_journal"`
	Device string `json:"device,omitempty"`
	Folder string `json:"folder,omitempty"`
	Time   string `json:"time"` // this moment's Stamp
	Prev   string `json:"prev"` // the moment before; its state plus these changes is this moment's
}

// Change is one path's state at a moment: its entry, or Gone.
type Change struct {
	CatalogEntry
	Gone bool `json:"gone,omitempty"`
}

// Record is one moment's header and changes.
type Record struct {
	JournalHeader
	Changes []Change
}

// Journal and segment file names, beside the checkpoints (<stamp>.jsonl.gz).
const (
	journalSuffix = ".journal.gz"
	segmentSuffix = ".journals.gz"
)

// Journal is the file of one moment's record.
func (f Folder) Journal(stamp string) string { return f.Catalogs() + "/" + stamp + journalSuffix }

// Segment is the file of packed records from first to last, written as
// generation gen (a rewrite of the same span has a higher one).
func (f Folder) Segment(first, last string, gen int) string {
	return fmt.Sprintf("%s/%s_%s.%d%s", f.Catalogs(), first, last, gen, segmentSuffix)
}

// Piece is one metadata file of a folder.
type Piece struct {
	Name        string // the file name
	Kind        PieceKind
	First, Last string // the moments it covers (one for a checkpoint or journal)
	Gen         int    // segments: rewrites of a span count up
	Size        int64
}

// PieceKind tells the metadata files apart.
type PieceKind int

const (
	CheckpointPiece PieceKind = iota + 1
	JournalPiece
	SegmentPiece
)

// ParsePiece reads a metadata file's name, or false for a name Kumo does
// not write.
func ParsePiece(name string, size int64) (Piece, bool) {
	if stamp, ok := CatalogStamp(name); ok {
		return Piece{Name: name, Kind: CheckpointPiece, First: stamp, Last: stamp, Size: size}, true
	}
	if stamp, ok := strings.CutSuffix(name, journalSuffix); ok {
		if _, err := ParseStamp(stamp); err == nil {
			return Piece{Name: name, Kind: JournalPiece, First: stamp, Last: stamp, Size: size}, true
		}
		return Piece{}, false
	}
	rest, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok {
		return Piece{}, false
	}
	dot := strings.LastIndexByte(rest, '.') // stamps have dots of their own
	if dot < 0 {
		return Piece{}, false
	}
	span, genText, ok := rest[:dot], rest[dot+1:], true
	first, last, ok2 := strings.Cut(span, "_")
	var gen int
	if _, err := fmt.Sscanf(genText, "%d", &gen); !ok || !ok2 || err != nil || gen < 0 || first > last {
		return Piece{}, false
	}
	if _, err := ParseStamp(first); err != nil {
		return Piece{}, false
	}
	if _, err := ParseStamp(last); err != nil {
		return Piece{}, false
	}
	return Piece{Name: name, Kind: SegmentPiece, First: first, Last: last, Gen: gen, Size: size}, true
}

// JournalWriter writes records (one for a journal file, many for a
// segment) as gzip-compressed JSON lines, streaming.
type JournalWriter struct {
	zw  *gzip.Writer
	enc *json.Encoder
}

// NewJournalWriter writes to w.
func NewJournalWriter(w io.Writer) *JournalWriter {
	zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression) // small files: every byte counts
	return &JournalWriter{zw: zw, enc: json.NewEncoder(zw)}
}

// Write adds one moment's record.
func (jw *JournalWriter) Write(r Record) error {
	r.Kumo = JournalVersion
	if err := jw.enc.Encode(r.JournalHeader); err != nil {
		return err
	}
	for _, c := range r.Changes {
		if err := jw.enc.Encode(c); err != nil {
			return err
		}
	}
	return nil
}

// Close ends the stream (its gzip trailer lets a reader tell a whole file
// from a torn one).
func (jw *JournalWriter) Close() error { return jw.zw.Close() }

// maxRecordChanges bounds one record read into memory (a hostile server);
// a pass that changed more writes a checkpoint instead.
const maxRecordChanges = 1 << 22

// line is any line of a journal: a header (kumo_journal set) or a change.
type line struct {
	Kumo   int    `json:"kumo_journal"`
	Device string `json:"device"`
	Folder string `json:"folder"`
	Time   string `json:"time"`
	Prev   string `json:"prev"`
	Change
}

// ReadJournal calls fn for each record of a journal or segment, in file
// order. Anything malformed or torn (a gzip stream cut short fails its
// checksum) is an error: a record is used only from a whole file.
func ReadJournal(r io.Reader, fn func(Record) error) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("the journal is not gzip data: %w", err)
	}
	sc := bufio.NewScanner(io.LimitReader(zr, maxCatalog))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var records []Record
	n := 0
	for sc.Scan() {
		n++
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("the journal has a malformed line %d: %w", n, err)
		}
		switch {
		case l.Kumo > JournalVersion:
			return fmt.Errorf("the journal was written by a newer Kumo (format %d): update Kumo", l.Kumo)
		case l.Kumo > 0:
			if _, err := ParseStamp(l.Time); err != nil || l.Prev >= l.Time {
				return fmt.Errorf("the journal's line %d has no valid moment", n)
			}
			records = append(records, Record{JournalHeader: JournalHeader{Kumo: l.Kumo, Device: l.Device, Folder: l.Folder, Time: l.Time, Prev: l.Prev}})
		case len(records) == 0:
			return errors.New("the journal has no header")
		default:
			last := &records[len(records)-1]
			if len(last.Changes) >= maxRecordChanges {
				return errors.New("the journal has a record too large to read")
			}
			last.Changes = append(last.Changes, l.Change)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("the journal is damaged or cut short: %w", err)
	}
	if len(records) == 0 {
		return errors.New("the journal is empty")
	}
	for _, rec := range records {
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}
