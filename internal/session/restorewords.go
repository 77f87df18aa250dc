package session

import (
	"strings"

	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/msg"
)

// ExplainRenaming words a renaming's reasons in the language in use.
func ExplainRenaming(w restore.Why) string {
	var parts []string
	for _, r := range []struct {
		bit  restore.Why
		text string
	}{
		{restore.WindowsChars, msg.T(`has characters Windows does not allow in names (< > : " \ | ? * or control characters), written full-width`)},
		{restore.TrailingDot, msg.T("ends with a dot or a space, which Windows drops")},
		{restore.DeviceName, msg.T("is a name Windows keeps for a device, written with its first letter full-width")},
		{restore.NameClash, msg.T("differs only in case or Unicode form from another name in its folder, which the destination takes for the same")},
	} {
		if w&r.bit != 0 {
			parts = append(parts, r.text)
		}
	}
	return strings.Join(parts, msg.T("; "))
}

// DescribeRules says what the destination was found to accept.
func DescribeRules(r restore.Rules) string {
	var parts []string
	if r.Windows {
		parts = append(parts, msg.T("Windows names"))
	}
	if r.CaseInsensitive {
		parts = append(parts, msg.T("case-insensitive"))
	}
	if r.Normalizing {
		parts = append(parts, msg.T("Unicode-normalising"))
	}
	return strings.Join(parts, msg.T(", "))
}

// WordRestore words the list of renamings a restore leaves in the language in use.
func WordRestore(o *restore.Options) {
	o.Explain = ExplainRenaming
	o.ListHeader = msg.T("restored as\tnamed in the backup\twhy")
}
