package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

const canary = "CANARY-7f3a9c" // planted as secret content; must never print

func TestSecretRedaction(t *testing.T) {
	creds := Credentials{AppKey: canary + "-key", AppSecret: canary + "-secret", ConsumerKey: canary + "-consumer"}
	holder := struct {
		Name  string
		Creds Credentials
		Token Secret
		List  []Secret
		Ptr   *Credentials
	}{"acct", creds, canary + "-token", []Secret{canary + "-list"}, &creds}

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%t"} {
		for _, arg := range []any{creds, &creds, creds.AppSecret, &creds.AppSecret, holder, &holder} {
			outputs = append(outputs, fmt.Sprintf(verb, arg))
		}
	}
	// %p is the one verb fmt serves before any method; on a pointer it
	// prints an address. (On a Secret value it would print the string: a
	// misuse that no method can intercept.)
	for _, arg := range []any{&creds, &creds.AppSecret, &holder} {
		if out := fmt.Sprintf("%p", arg); strings.Contains(out, canary) {
			t.Errorf("%%p printed a secret: %s", out)
		}
	}
	outputs = append(outputs, fmt.Sprint(creds, holder), fmt.Sprintln(creds.AppSecret), creds.AppSecret.String(), creds.AppSecret.GoString())
	for _, v := range []any{creds, holder, creds.AppSecret} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
	}
	text, _ := creds.AppKey.MarshalText()
	outputs = append(outputs, string(text))
	for _, newHandler := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(newHandler(&buf))
		log.Info("loaded", "creds", creds, "ptr", &creds, "secret", creds.ConsumerKey, "holder", holder, slog.Group("g", "s", creds.AppSecret))
		log.With("token", holder.Token).Info("with")
		outputs = append(outputs, buf.String())
	}
	for _, out := range outputs {
		if strings.Contains(out, canary) || strings.Contains(out, fmt.Sprintf("%x", canary)) {
			t.Errorf("secret printed: %s", out)
		}
		if !strings.Contains(out, "redacted") {
			t.Errorf("output shows no redaction marker: %s", out)
		}
	}
	if creds.AppSecret.Reveal() != canary+"-secret" {
		t.Errorf("Reveal() = %q, want the secret", creds.AppSecret.Reveal())
	}
}

// TestConfigNeverHoldsSecrets prints a whole parsed Config, whose
// credential files hold the canary, every way the daemon might.
func TestConfigNeverHoldsSecrets(t *testing.T) {
	cred := t.TempDir()
	for _, name := range []string{"ovh-application-key", "ovh-application-secret", "ovh-consumer-key", "slack-bot-token", "slack-app-token"} {
		writeSecret(t, filepath.Join(cred, name), canary+"\n", 0o600)
	}
	c, err := Load("testdata/full.yaml", envWith(map[string]string{"CREDENTIALS_DIRECTORY": cred}))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := c.Accounts[0].LoadCredentials(nil)
	if err != nil {
		t.Fatal(err)
	}
	if creds.AppSecret.Reveal() != canary {
		t.Fatalf("the fixture did not read the canary")
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "config", c, "creds", creds)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c, "creds", creds)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join([]string{fmt.Sprintf("%v %+v %#v", c, c, c), buf.String(), string(js)}, "\n")
	if strings.Contains(all, canary) {
		t.Errorf("the config or its credentials printed a secret:\n%s", all)
	}
}

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	writeSecret(t, filepath.Join(dir, "key"), "  "+canary+"-key \n", 0o400)
	writeSecret(t, filepath.Join(dir, "secret"), canary+"-secret", 0o600)
	writeSecret(t, filepath.Join(dir, "consumer"), canary+"-consumer\r\n", 0o600)
	writeSecret(t, filepath.Join(dir, "open"), canary+"-open\n", 0o644)
	writeSecret(t, filepath.Join(dir, "two"), canary+"\n"+canary+"\n", 0o600)
	getenv := envWith(map[string]string{"CREDENTIALS_DIRECTORY": dir})

	// Bare names left in an Account built in code resolve in $CREDENTIALS_DIRECTORY.
	a := Account{Name: "main", AppKeyFile: "key", AppSecretFile: filepath.Join(dir, "secret"), ConsumerKeyFile: "consumer"}
	got, err := a.LoadCredentials(getenv)
	if err != nil {
		t.Fatal(err)
	}
	want := Credentials{AppKey: canary + "-key", AppSecret: canary + "-secret", ConsumerKey: canary + "-consumer"}
	if got != want {
		t.Errorf("LoadCredentials() = %q, want the trimmed lines", []string{got.AppKey.Reveal(), got.AppSecret.Reveal(), got.ConsumerKey.Reveal()})
	}

	for _, tt := range []struct {
		name    string
		account Account
		want    string
	}{
		{"only two files", Account{Name: "main", AppKeyFile: "key", AppSecretFile: "secret"},
			"load OVH credentials of account main: application_key_file, application_secret_file and consumer_key_file go together: set all three or none"},
		{"readable by others", Account{Name: "main", AppKeyFile: "key", AppSecretFile: "open", ConsumerKeyFile: "consumer"},
			"load OVH credentials of account main: application_secret_file: " + filepath.Join(dir, "open") + " is readable by others (mode 0644); chmod 600 it"},
		{"two lines", Account{Name: "main", AppKeyFile: "key", AppSecretFile: "secret", ConsumerKeyFile: "two"},
			"load OVH credentials of account main: consumer_key_file: " + filepath.Join(dir, "two") + " holds more than one line; it must hold the credential alone"},
		{"a directory", Account{Name: "main", AppKeyFile: dir, AppSecretFile: "secret", ConsumerKeyFile: "consumer"},
			"load OVH credentials of account main: application_key_file: " + dir + " is not a regular file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.account.LoadCredentials(getenv)
			if err == nil || err.Error() != tt.want {
				t.Errorf("LoadCredentials() = %v, %v; want error %q", c, err, tt.want)
			}
			if !c.IsZero() {
				t.Errorf("LoadCredentials() returned credentials with its error")
			}
		})
	}

	if _, _, err := (Slack{}).LoadTokens(getenv); err == nil {
		t.Error("LoadTokens() without a bot token file succeeded")
	}
	bot, app, err := Slack{BotTokenFile: "secret"}.LoadTokens(getenv)
	if err != nil || bot.Reveal() != canary+"-secret" || !app.IsZero() {
		t.Errorf("LoadTokens(bot only) = %v, %v, %v; want the bot token and no app token", bot, app, err)
	}
	if _, _, err := (Slack{BotTokenFile: "secret", AppTokenFile: "open"}).LoadTokens(getenv); err == nil || strings.Contains(err.Error(), canary) {
		t.Errorf("LoadTokens(open app token) = %v; want a permission error without the content", err)
	}
}
