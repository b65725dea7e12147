package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

const redacted = "[redacted]"

// Secret is a credential read from a file. It prints, logs and marshals as
// "[redacted]" whatever the encoder or fmt verb (but %p, which fmt serves
// before any method, and which is meant for pointers); only Reveal gives
// its content.
type Secret string

// Reveal returns the secret itself, for the one call that needs it.
func (s Secret) Reveal() string { return string(s) }

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) Format(f fmt.State, _ rune)   { io.WriteString(f, redacted) }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

// Credentials are an OVH account's application key and secret and consumer
// key.
type Credentials struct {
	AppKey, AppSecret, ConsumerKey Secret
}

// IsZero reports whether no credential is set.
func (c Credentials) IsZero() bool { return c == Credentials{} }

// LogValue logs the credentials as "[redacted]".
func (Credentials) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format prints the credentials as "[redacted]" whatever the verb. Without
// it, fmt prints a *Credentials nested in a struct under a verb it finds
// wrong for pointers (%s, %q) field by field, without calling Secret's
// methods.
func (Credentials) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// credentialFiles counts the credential files the account names.
func (a Account) credentialFiles() int {
	n := 0
	for _, f := range []string{a.AppKeyFile, a.AppSecretFile, a.ConsumerKeyFile} {
		if f != "" {
			n++
		}
	}
	return n
}

// LoadCredentials reads the account's three credential files. It returns
// zero Credentials and no error when the account names none (go-ovh then
// uses its own sources), and an error when it names only some. A bare file
// name still unresolved (an Account built in code) is looked for in
// $CREDENTIALS_DIRECTORY, read through getenv (nil means no environment).
// Errors name the files, never their content.
func (a Account) LoadCredentials(getenv func(string) string) (Credentials, error) {
	switch a.credentialFiles() {
	case 0:
		return Credentials{}, nil
	case 3:
	default:
		return Credentials{}, fmt.Errorf("load OVH credentials of account %s: application_key_file, application_secret_file and consumer_key_file go together: set all three or none", a.Name)
	}
	var c Credentials
	for _, f := range []struct {
		key  string
		file string
		into *Secret
	}{
		{"application_key_file", a.AppKeyFile, &c.AppKey},
		{"application_secret_file", a.AppSecretFile, &c.AppSecret},
		{"consumer_key_file", a.ConsumerKeyFile, &c.ConsumerKey},
	} {
		s, err := readSecretFile(resolveFile(f.file, "", getenv))
		if err != nil {
			return Credentials{}, fmt.Errorf("load OVH credentials of account %s: %s: %w", a.Name, f.key, err)
		}
		*f.into = s
	}
	return c, nil
}

// LoadTokens reads the Slack bot token, and the app token when a file is
// named for it (app is zero otherwise). getenv is as for
// Account.LoadCredentials.
func (s Slack) LoadTokens(getenv func(string) string) (bot, app Secret, err error) {
	if s.BotTokenFile == "" {
		return "", "", errors.New("load Slack tokens: no bot_token_file")
	}
	if bot, err = readSecretFile(resolveFile(s.BotTokenFile, "", getenv)); err != nil {
		return "", "", fmt.Errorf("load Slack tokens: bot_token_file: %w", err)
	}
	if s.AppTokenFile != "" {
		if app, err = readSecretFile(resolveFile(s.AppTokenFile, "", getenv)); err != nil {
			return "", "", fmt.Errorf("load Slack tokens: app_token_file: %w", err)
		}
	}
	return bot, app, nil
}

// resolveFile says where a credential file named in the config is: an
// absolute path as is; a bare name (no "/") in $CREDENTIALS_DIRECTORY when
// that is set and holds it; anything else relative to dir.
func resolveFile(name, dir string, getenv func(string) string) string {
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	if !strings.ContainsRune(name, '/') && getenv != nil {
		if credDir := getenv("CREDENTIALS_DIRECTORY"); credDir != "" {
			p := filepath.Join(credDir, name)
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	return filepath.Join(dir, name)
}

// maxSecretSize bounds what readSecretFile reads: a credential is one short line.
const maxSecretSize = 64 << 10

// readSecretFile reads a secret from a regular file that only its owner can
// read or write and that holds one non-empty line (a final newline and
// surrounding blanks are dropped). Errors name the file, never its content.
func readSecretFile(path string) (Secret, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		what := "readable"
		if perm&0o044 == 0 {
			what = "writable"
		}
		return "", fmt.Errorf("%s is %s by others (mode %04o); chmod 600 it", path, what, perm)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecretSize+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxSecretSize {
		return "", fmt.Errorf("%s is larger than a credential (over %d bytes)", path, maxSecretSize)
	}
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return "", fmt.Errorf("%s %w", path, errEmptySecret)
	case bytes.ContainsAny(data, "\r\n"):
		return "", fmt.Errorf("%s holds more than one line; it must hold the credential alone", path)
	}
	return Secret(data), nil
}
