package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// errEmptySecret ends the error of a credential file that holds nothing.
var errEmptySecret = errors.New("is empty")

// LoadForAuth is Load for `renewd auth`, which writes the accounts'
// consumer keys: an account's consumer_key_file may not exist yet, or be
// empty, and the config is still valid. Everything else is checked as Load
// checks it, the application key and secret files included.
//
// A consumer_key_file given as a bare name that exists nowhere yet resolves
// into $CREDENTIALS_DIRECTORY when that is set (Load would fall back to the
// config's directory): that is where `renewd auth` writes it, and where the
// unit's LoadCredential= and every later command find it.
func LoadForAuth(path string, getenv func(string) string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	return parse(f, path, getenv, true)
}

// pendingKeyFile resolves a consumer_key_file for LoadForAuth: as
// resolveFile does when the file exists there; else a bare name goes to
// $CREDENTIALS_DIRECTORY when it is set.
func pendingKeyFile(name, dir string, getenv func(string) string) string {
	p := resolveFile(name, dir, getenv)
	if _, err := os.Lstat(p); err == nil || filepath.IsAbs(name) || strings.ContainsRune(name, '/') {
		return p
	}
	if credDir := getenv("CREDENTIALS_DIRECTORY"); credDir != "" {
		return filepath.Join(credDir, name)
	}
	return p
}

// dropPendingKeyErrors removes the problems LoadForAuth accepts: a
// consumer_key_file that does not exist or is empty. A file readable by
// others, or holding two lines, is still refused.
func dropPendingKeyErrors(errs Errors) Errors {
	return slices.DeleteFunc(errs, func(e *ConfigError) bool {
		return strings.HasSuffix(e.Field, ".consumer_key_file") &&
			(errors.Is(e.Err, fs.ErrNotExist) || errors.Is(e.Err, errEmptySecret))
	})
}

// LoadAppCredentials reads the account's application key and secret, not
// its consumer key: what `renewd auth` needs to ask OVH for one. The
// account must name its three credential files (the consumer key's is
// where the new key goes). Errors name the files, never their content.
func (a Account) LoadAppCredentials(getenv func(string) string) (appKey, appSecret Secret, err error) {
	if a.credentialFiles() != 3 {
		return "", "", fmt.Errorf("account %s names no credential files: set application_key_file, application_secret_file and consumer_key_file (renewd auth writes the consumer key there)", a.Name)
	}
	if appKey, err = readSecretFile(resolveFile(a.AppKeyFile, "", getenv)); err != nil {
		return "", "", fmt.Errorf("load OVH credentials of account %s: application_key_file: %w", a.Name, err)
	}
	if appSecret, err = readSecretFile(resolveFile(a.AppSecretFile, "", getenv)); err != nil {
		return "", "", fmt.Errorf("load OVH credentials of account %s: application_secret_file: %w", a.Name, err)
	}
	return appKey, appSecret, nil
}
