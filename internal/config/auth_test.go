package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// authConfig writes a config naming key, secret and consumer by bare name.
func authConfig(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	text := "state_file: ledger.db\novh:\n  endpoint: ovh-eu\n  application_key_file: key\n" +
		"  application_secret_file: secret\n  consumer_key_file: consumer\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadForAuth(t *testing.T) {
	dir := t.TempDir()
	path := authConfig(t, dir)
	writeSecret(t, filepath.Join(dir, "key"), "ak", 0o600)
	writeSecret(t, filepath.Join(dir, "secret"), "as", 0o600)
	env := envWith(nil)

	// No consumer key yet: Load refuses, LoadForAuth takes it.
	if _, err := Load(path, env); err == nil {
		t.Fatal("Load took a config whose consumer key file is missing")
	}
	c, err := LoadForAuth(path, env)
	if err != nil {
		t.Fatalf("LoadForAuth: %v", err)
	}
	a := c.Accounts[0]
	if a.ConsumerKeyFile != filepath.Join(dir, "consumer") {
		t.Errorf("ConsumerKeyFile = %s", a.ConsumerKeyFile)
	}
	ak, as, err := a.LoadAppCredentials(env)
	if err != nil || ak.Reveal() != "ak" || as.Reveal() != "as" {
		t.Errorf("LoadAppCredentials = %v, %v", ak == "ak", err)
	}

	// Empty is as missing; open to others is still refused.
	writeSecret(t, filepath.Join(dir, "consumer"), "", 0o600)
	if _, err := LoadForAuth(path, env); err != nil {
		t.Errorf("an empty consumer key file: %v", err)
	}
	writeSecret(t, filepath.Join(dir, "consumer"), "ck", 0o644)
	if _, err := LoadForAuth(path, env); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("a consumer key readable by others: %v", err)
	}
	os.Remove(filepath.Join(dir, "consumer"))

	// A missing application secret is still an error.
	os.Remove(filepath.Join(dir, "secret"))
	if _, err := LoadForAuth(path, env); err == nil || !strings.Contains(err.Error(), "application_secret_file") {
		t.Errorf("a missing application secret: %v", err)
	}
}

// TestLoadForAuthWritesIntoCredentialsDirectory: a bare name that exists
// nowhere yet goes where the unit's LoadCredential= takes it from.
func TestLoadForAuthWritesIntoCredentialsDirectory(t *testing.T) {
	dir, cred := t.TempDir(), t.TempDir()
	path := authConfig(t, dir)
	writeSecret(t, filepath.Join(cred, "key"), "ak", 0o600)
	writeSecret(t, filepath.Join(cred, "secret"), "as", 0o600)
	env := envWith(map[string]string{"CREDENTIALS_DIRECTORY": cred})
	c, err := LoadForAuth(path, env)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Accounts[0].ConsumerKeyFile, filepath.Join(cred, "consumer"); got != want {
		t.Errorf("ConsumerKeyFile = %s, want %s", got, want)
	}
	// Once written there, Load finds it there too.
	writeSecret(t, filepath.Join(cred, "consumer"), "ck", 0o600)
	if c, err := Load(path, env); err != nil || c.Accounts[0].ConsumerKeyFile != filepath.Join(cred, "consumer") {
		t.Errorf("Load after auth: %v", err)
	}
}

func TestLoadAppCredentialsNeedsFiles(t *testing.T) {
	if _, _, err := (Account{Name: "x"}).LoadAppCredentials(nil); err == nil || !strings.Contains(err.Error(), "names no credential files") {
		t.Errorf("an account without files: %v", err)
	}
}
