package problem

// The problems a person can meet. Their words are in the Table; briefs are
// the English phrases error chains and logs use for the engine's problems.
const (
	// Setting up and checking a connection.
	WrongPassword       Kind = "wrong-password"        // InfiniCLOUD refused the Apps Password at sign-in
	WrongPasswordWebDAV Kind = "wrong-password-webdav" // another WebDAV server refused user and password
	RESTWrongPassword   Kind = "rest-wrong-password"   // the REST API refused the Connection ID and password
	AppsConnectionOff   Kind = "apps-connection-off"   // the password is right but Apps Connection is off
	HostNotFound        Kind = "host-not-found"        // no such server name
	Offline             Kind = "offline"               // no answer at all
	TLSExpired          Kind = "tls-expired"           // the server's certificate expired
	TLSWrongHost        Kind = "tls-wrong-host"        // the certificate is another server's
	TLSUntrusted        Kind = "tls-untrusted"         // the certificate's authority is not trusted
	TLSPin              Kind = "tls-pin"               // the certificate is not the pinned one
	TLSOld              Kind = "tls-old"               // the server offers only TLS below 1.2
	PlainHTTP           Kind = "plain-http"            // an http:// address to another computer
	BadAddress          Kind = "bad-address"           // the address, user or service is not usable ({reason})
	DigestOnly          Kind = "digest-only"           // the server only offers Digest
	BadListing          Kind = "bad-listing"           // a PROPFIND answer that is not WebDAV
	AreaMissing         Kind = "area-missing"          // the WebDAV folder does not exist
	AreaRefused         Kind = "area-refused"          // the server refuses access to the folder
	AreaReadOnly        Kind = "area-read-only"        // the folder can be read, not written
	QuotaFull           Kind = "quota-full"            // the account is full, at sign-in
	APIKey              Kind = "api-key"               // the REST API refused the API key
	NodeNotReady        Kind = "node-not-ready"        // ba/user: 202, a new account's node is not ready
	RESTUnreachable     Kind = "rest-unreachable"      // the API server (or the node's REST call) did not answer
	RESTUnexpected      Kind = "rest-unexpected"       // a REST answer Kumo does not understand
	RESTNoKey           Kind = "rest-no-key"           // no API key, so no REST call
	Redirected          Kind = "redirected"            // a request that changes files was redirected elsewhere
	IncompleteChain     Kind = "incomplete-chain"      // the server's certificate chain lacks its intermediate
	PasswordNotAccepted Kind = "password-not-accepted" // a new Apps Password, not accepted yet
	DeviceTaken         Kind = "device-taken"          // another computer backs up under this name
	DeviceNameTaken     Kind = "device-name-taken"     // renaming onto an existing device's name
	ServerStatus        Kind = "server-status"         // an unexpected answer to the check
	CheckFailed         Kind = "check-failed"          // the check failed otherwise ({cause})
	KeyringUnavailable  Kind = "keyring-unavailable"   // the account works, the keyring does not
	NotSignedIn         Kind = "not-signed-in"         // an action that needs an account
	CannotStartDemo     Kind = "cannot-start-demo"     // the built-in demo server did not start
	PasswordRefused     Kind = "password-refused"      // the server refused the password while backing up
	QuotaFullPaused     Kind = "quota-full-paused"     // the account filled up while backing up
	WritesRefused       Kind = "writes-refused"        // every upload refused while other requests work: full
	NoSecureConnection  Kind = "no-secure-connection"  // TLS failed while backing up
	FolderMissing       Kind = "folder-missing"        // the folder to back up is not there
	FolderUnmounted     Kind = "folder-unmounted"      // the folder looks like an unplugged drive
	ServerUnreachable   Kind = "server-unreachable"    // the server failed for reasons that may pass
	HistoryGap          Kind = "history-gap"           // a record of the folder's history is missing on the server
	CopyDamaged         Kind = "copy-damaged"          // verification read back a server copy that differs
	LocalBitRot         Kind = "local-bit-rot"         // a local file's bytes changed while its size and time did not
	PassphraseWrong     Kind = "passphrase-wrong"      // the passphrase does not open an encrypted folder
	PassphraseNeeded    Kind = "passphrase-needed"     // an encrypted folder, and no passphrase given
	AlreadyPlain        Kind = "already-plain"         // encryption asked for a folder already backed up without it
	Other               Kind = "other"                 // nothing better is known: {cause}
)

// briefs describe the engine's problems in error chains and logs, where the
// cause follows after a colon; other kinds use their English sentence.
var briefs = map[Kind]string{
	PasswordRefused:    "the server refused the user name or password",
	QuotaFullPaused:    "the account is full; free space or upgrade the plan, then back up again",
	WritesRefused:      "the server refuses every upload while other requests work; the account is probably full",
	NoSecureConnection: "cannot connect securely to the server",
	FolderMissing:      "the folder is not there (is its drive connected?); its backups on the server are left as they are",
	FolderUnmounted: "the folder is empty, but its backup is not, and it is not on the drive it was backed up from " +
		"(is its drive connected? to bring the files back, use Restore); nothing is marked deleted and its backups are left as they are",
	ServerUnreachable: "the server cannot be reached or keeps failing; backing up goes on when it answers again",
}
