package problem

// English is the table every other language is checked against.
var English = Table{Language: "en", Sep: " ", Entries: map[Kind]Entry{
	WrongPassword: {
		Says: "InfiniCLOUD did not accept Connection ID \"{user}\" with this password.",
		Do: "Use the Apps Password shown on My Page → Apps Connection, not your login password, and check that Apps Connection is turned on there " +
			"(accounts registered after June 2021 start with it off). If you reissued the Apps Password a moment ago, " +
			"wait a few minutes: the service takes a while to accept a new one.",
	},
	WrongPasswordWebDAV: {Says: "{host} did not accept user \"{user}\" with this password:", Do: "check both and try again."},
	RESTWrongPassword:   {Says: "InfiniCLOUD's REST API did not accept Connection ID \"{user}\" with this password."},
	AppsConnectionOff: {
		Says: "Your password is right, but Apps Connection is off for this account, so WebDAV refuses it.",
		Do: "On InfiniCLOUD's My Page, open Apps Connection, turn it on, and sign in here with the Apps Password it shows. " +
			"(Accounts registered after June 2021 start with it off.)",
	},
	HostNotFound: {
		Says: "Kumo cannot find the server {host}:",
		Do:   "check the WebDAV Connection URL for typos (it looks like https://NODE.teracloud.jp/dav/) and that this computer is online.",
	},
	Offline: {
		Says: "Kumo cannot reach {host}: this computer seems to be offline, or the server is not answering.",
		Do:   "Check the internet connection and try again.",
	},
	TLSExpired: {
		Says: "The security certificate of {host} expired on {date}, so Kumo will not send your password to it.",
		Do:   "If this computer's date is right, the server has to renew its certificate: try again later.",
	},
	TLSWrongHost: {
		Says: "The security certificate presented by {host} belongs to another server, so Kumo will not send your password:",
		Do:   "check the address for typos; if it is right, someone may be intercepting the connection.",
	},
	TLSUntrusted: {
		Says: "The security certificate of {host} is not from an authority this computer trusts, so Kumo will not send your password.",
		Do:   "For a self-hosted server, give its certificate authority with --ca-file.",
	},
	TLSPin: {
		Says: "The server's certificate is not the one this account was set up with:",
		Do:   "someone may be intercepting the connection, or the server's certificate changed.",
	},
	TLSOld: {
		Says: "{host} only offers old encryption (below TLS 1.2), so Kumo will not send your password to it.",
		Do:   "Check the address; a self-hosted server needs TLS 1.2 or newer turned on.",
	},
	PlainHTTP: {
		Says: "Refusing plain http:// to {host}: it would send your password unencrypted;",
		Do:   "use the https:// address.",
	},
	BadAddress: {Says: "{reason}"},
	DigestOnly: {
		Says: "The server asks for Digest authentication, which InfiniCLOUD does not use:",
		Do:   "check the WebDAV Connection URL (it looks like https://NODE.teracloud.jp/dav/).",
	},
	BadListing: {
		Says: "The server's answer to a folder listing is not valid WebDAV (empty or malformed XML):",
		Do:   "the address may point to a web page instead of a WebDAV folder, or the server had a fault: try again later.",
	},
	AreaMissing:  {Says: "The folder {url} does not exist on {host}:", Do: "check the address (InfiniCLOUD offers /dav/ and /backup/)."},
	AreaRefused:  {Says: "The server refused access to {url} ({code}):", Do: "check the address."},
	AreaReadOnly: {Says: "Kumo can read {url} but may not write to it (the server answered {code}):", Do: "choose a folder you can write to, or ask the server's administrator."},
	QuotaFull:    {Says: "Your storage is full{used}:", Do: "delete files or upgrade your plan on My Page, then try again."},
	APIKey: {
		Says: "InfiniCLOUD refused the API key:",
		Do: "API keys are issued by InfiniCLOUD to applications (they are not shown on My Page). " +
			"Check the key entered in Settings, or remove it so that Kumo uses its own.",
		DoCLI: "API keys are issued by InfiniCLOUD to applications (they are not shown on My Page). " +
			"Check the key in KUMO_API_KEY or --api-key-file, or leave it out so that Kumo uses its own.",
	},
	NodeNotReady: {
		Says: "InfiniCLOUD says this account is new and its storage is not ready yet.",
		Do:   "Try again in a few minutes.",
	},
	RESTUnreachable: {
		Says: "InfiniCLOUD's API server ({host}) did not answer, so Kumo cannot look the account up there.",
		Do:   "Backing up works without it. To sign in now, type the WebDAV Connection URL from My Page → Apps Connection.",
	},
	RESTUnexpected: {
		Says: "InfiniCLOUD's REST API at {host} gave an answer Kumo does not understand.",
		Do:   "Backing up works without it. If this persists, run `kumo doctor` and send its report with a bug report.",
	},
	RESTNoKey: {
		Says: "Kumo has no API key for InfiniCLOUD's REST API, so it cannot find the account's server by itself.",
		Do:   "Type the WebDAV Connection URL shown on My Page → Apps Connection.",
	},
	Redirected: {
		Says: "The server sent Kumo to another address ({to}) instead of doing what was asked, so nothing was changed there.",
		Do:   "Check the WebDAV Connection URL; if the server moved, sign in with its new address.",
	},
	IncompleteChain: {
		Says: "{host} sent an incomplete certificate chain (its intermediate certificate is missing), " +
			"and Kumo could not fetch the missing certificate from the address the server's certificate gives.",
		Do:    "Kumo tries again by itself; if this persists, tell the service that the server's certificate chain is incomplete.",
		DoCLI: "Try again later; if this persists, tell the service that the server's certificate chain is incomplete.",
	},
	PasswordNotAccepted: {
		Says: "InfiniCLOUD did not accept the new Apps Password (yet): after a reissue the service can take several minutes to accept one.",
		Do:   "Kumo tries it again by itself until {until} and goes on as soon as it is accepted. If it was mistyped, enter it again.",
	},
	DeviceTaken: {
		Says: "Another computer already backs up as \"{device}\" on this account:",
		Do:   "choose a different device name, or, if that computer was this one before a reinstall, choose to continue its backups.",
	},
	DeviceNameTaken: {Says: "A device named \"{device}\" already exists on this account:", Do: "choose another name."},
	ServerStatus:    {Says: "{host} answered {code} {status} to Kumo's check:", Do: "try again later; if it persists, check the address."},
	CheckFailed:     {Says: "The check of {host} failed: {cause}"},
	KeyringUnavailable: {
		Says:  "The account works, but the password could not be kept in the system keyring ({cause}):",
		Do:    "unlock or install a keyring (GNOME Keyring, KWallet) and sign in again.",
		DoCLI: "unlock or install a keyring (GNOME Keyring, KWallet), or give the password with KUMO_PASSWORD or --password-file.",
	},
	NotSignedIn: {
		Says:  "Not signed in:",
		Do:    "sign in to an account first.",
		DoCLI: "run `kumo login` first (or try `kumo backup --demo FOLDER`).",
	},
	CannotStartDemo: {Says: "Cannot start the demo server: {cause}"},
	PasswordRefused: {
		Says:  "The server refused the password: the Apps Password was reissued, or Apps Connection was turned off on My Page.",
		Do:    "Enter the new Apps Password (Kumo asks for it); backing up resumes where it stopped.",
		DoCLI: "To go on, run `kumo login` with the new Apps Password, then start again. Nothing was lost.",
	},
	QuotaFullPaused: {
		Says: "Your InfiniCLOUD storage is full, so backing up is paused.",
		Do: "Free some space or upgrade the plan; Kumo notices and continues by itself. " +
			"The service keeps deleted files in its snapshots for a while, so freed space can take hours to show.",
		DoCLI: "Free some space or upgrade the plan on My Page, then back up again. " +
			"The service keeps deleted files in its snapshots for a while, so freed space can take hours to show.",
	},
	WritesRefused: {
		Says: "The server refuses every upload (it answered {code} to the last {n}) while everything else works: the account is probably full, so backing up is paused.",
		Do: "Free some space or upgrade the plan; Kumo tries again by itself now and then. " +
			"The service keeps deleted files in its snapshots for a while, so freed space can take hours to show.",
		DoCLI: "Free some space or upgrade the plan on My Page, then back up again.",
	},
	NoSecureConnection: {
		Says: "Kumo cannot connect securely to the server ({cause}), so it does not send your password.",
		Do:   "Check the address, and that this computer's date and time are right.",
	},
	FolderMissing: {
		Says:  "The folder is not there (is its drive connected?).",
		Do:    "Its backups are kept; Kumo continues when it is back.",
		DoCLI: "Its backups on the server are left as they are; connect the drive and back up again.",
	},
	FolderUnmounted: {
		Says: "The folder is empty and no longer on its drive: the drive is probably not connected.",
		Do: "Nothing is marked deleted; Kumo continues when the drive is back. " +
			"To bring the files back instead, use Restore.",
		DoCLI: "Nothing is marked deleted; connect the drive and back up again, or bring the files back with `kumo restore`.",
	},
	ServerUnreachable: {
		Says:  "Cannot reach the server right now ({cause}).",
		Do:    "Kumo tries again by itself in a little while, or choose Retry.",
		DoCLI: "Check the connection and back up again; what was sent is kept.",
	},
	CopyDamaged: {
		Says:  "The server's copy of this file is damaged: read back, it is not what Kumo sent.",
		Do:    "Kumo sends the file again on the next pass; nothing to do.",
		DoCLI: "Back up again to send it anew.",
	},
	LocalBitRot: {
		Says: "This file's content changed on this computer although its size and modification time did not: the disk may be failing.",
		Do: "The backup keeps the last good copy and does not overwrite it: if the file is damaged, restore it with Kumo, " +
			"and check the disk.",
	},
	PassphraseWrong: {
		Says: "This passphrase does not open the encrypted folder {folder}, so nothing was read or written.",
		Do:   "Type the passphrase chosen when the folder was added (it is on the recovery sheet); letters, spaces and case must match exactly.",
	},
	PassphraseNeeded: {
		Says: "{folder} is encrypted: its passphrase is needed to read or add to its backups.",
		Do: "Type the passphrase chosen when the folder was added (it is on the recovery sheet): " +
			"Folders → Passphrase… for a folder backed up here, or when Restore asks.",
		DoCLI: "Type it when asked, or give it with --passphrase-file or the KUMO_PASSPHRASE environment variable.",
	},
	AlreadyPlain: {
		Says: "{folder} is already backed up without encryption, and Kumo does not turn encryption on for a folder silently.",
		Do: "In the app, Folders → Encrypt… on that folder does it: it says how much is uploaded again, and keeps the unencrypted " +
			"backup on the server, restorable, until you delete it.",
		DoCLI: "Back it up without --encrypt, or turn encryption on in the app (Folders → Encrypt…), which uploads it again and keeps " +
			"the unencrypted backup until you delete it.",
	},
	HistoryGap: {
		Says: "The backup history of {folder} is missing a record (damaged or removed on the server), " +
			"so {n} moments from {first} to {last} cannot be restored exactly.",
		Do: "Choose a moment before {first}, or a later one: Kumo never restores a moment it cannot rebuild exactly.",
	},
	Other: {Says: "{cause}"},
}}
