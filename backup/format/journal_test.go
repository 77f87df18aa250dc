package format

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestPieceNames(t *testing.T) {
	f := Folder{Device: "pc", Name: "Work"}
	a, b := "20260302T090000.000Z", "20260302T185700.123Z"
	for _, c := range []struct {
		path string
		want Piece
	}{
		{f.Catalog(a), Piece{Kind: CheckpointPiece, First: a, Last: a}},
		{f.Journal(b), Piece{Kind: JournalPiece, First: b, Last: b}},
		{f.Segment(a, b, 7), Piece{Kind: SegmentPiece, First: a, Last: b, Gen: 7}},
	} {
		name := c.path[strings.LastIndexByte(c.path, '/')+1:]
		got, ok := ParsePiece(name, 10)
		c.want.Name, c.want.Size = name, 10
		if !ok || got != c.want {
			t.Errorf("%s: %+v %v, want %+v", name, got, ok, c.want)
		}
	}
	for _, bad := range []string{"x.journal.gz", b + "_" + a + ".1.journals.gz", a + "_" + b + ".x.journals.gz", "notes.txt"} {
		if p, ok := ParsePiece(bad, 1); ok {
			t.Errorf("%s read as %+v", bad, p)
		}
	}
}

// A segment's records read back as written; a cut-short one is refused.
func TestJournalRoundTrip(t *testing.T) {
	recs := []Record{
		{JournalHeader: JournalHeader{Kumo: 1, Time: "20260302T090000.000Z", Prev: "20260302T080000.000Z"},
			Changes: []Change{{CatalogEntry: CatalogEntry{Path: "a.txt", Size: 3, SHA256: "ab", Since: "20260302T085959.000Z"}}}},
		{JournalHeader: JournalHeader{Kumo: 1, Time: "20260302T091000.000Z", Prev: "20260302T090000.000Z"},
			Changes: []Change{{CatalogEntry: CatalogEntry{Path: "a.txt"}, Gone: true}}},
	}
	var buf bytes.Buffer
	w := NewJournalWriter(&buf)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	var got []Record
	if err := ReadJournal(bytes.NewReader(buf.Bytes()), func(r Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Fatalf("read back %+v", got)
	}
	torn := buf.Bytes()[:buf.Len()-6]
	n := 0
	if err := ReadJournal(bytes.NewReader(torn), func(Record) error { n++; return nil }); err == nil || n != 0 {
		t.Fatalf("a torn journal: %v, %d records handed on", err, n)
	}
}
