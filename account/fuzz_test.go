package account

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// A damaged or hand-edited settings file is refused with a sentence or read;
// what is read saves and reads back the same.
func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte(`{"version":1,"machine_id":"m","account":{"service":"infinicloud","url":"https://n.teracloud.jp/backup/","user":"u","device":"d"},"folders":[{"path":"/home/a","excludes":["*.tmp"]}],"settings":{"workers":4}}`))
	f.Add([]byte(`{"version":99}`))
	f.Add([]byte(`{`))
	f.Add([]byte(``))
	f.Add([]byte(`{"version":0,"account":null,"demo":true}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "config.json")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig(p)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("a refusal without a sentence")
			}
			return
		}
		if err := c.Save(p); err != nil {
			t.Fatal(err)
		}
		back, err := LoadConfig(p)
		a, _ := json.Marshal(c)
		b, _ := json.Marshal(back)
		if err != nil || !bytes.Equal(a, b) { // as saved: an empty list and none are the same
			t.Fatalf("saved and read back differently: %v\n%s\n%s", err, a, b)
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
			t.Fatalf("settings saved with mode %v", st.Mode().Perm())
		}
	})
}
