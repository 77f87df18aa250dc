package testenv

import "strings"

// WindowsAwkwardNames are names a Linux backup may hold that Windows
// refuses (CON, aux.txt, a:b.txt, a trailing dot or space) or takes for
// one another (a.txt and A.txt, Docs and docs), NFC beside NFD, and a path
// of over 300 characters: what a restore onto Windows must cope with.
func WindowsAwkwardNames() []string {
	long := strings.Repeat("長いフォルダ名", 7) // 49 characters a folder
	deep := strings.Join([]string{long, long, long, long, long, long}, "/") + "/file.txt"
	return []string{"CON", "aux.txt", "a:b.txt", "trail.", "trail ", "a.txt", "A.txt",
		"caf\u00e9.txt", "cafe\u0301.txt", deep, "Docs/x.txt", "docs/y.txt", "q?/x.txt",
		"Kumo renamed files.tsv", "ok/普通.txt"}
}

// AwkwardContent is what the test trees put in the file named name.
func AwkwardContent(name string) string { return "the file named " + name }
