package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/time/rate"

	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/ovh"
)

// Defaults of renewd auth's waiting.
const (
	defaultAuthTimeout = 15 * time.Minute
	defaultAuthPoll    = 3 * time.Second
)

// authOptions are auth's flags.
type authOptions struct {
	account          string
	force, printOnly bool
	timeout, poll    time.Duration
}

// setupAuth: auth asks OVH for a consumer key with exactly renewd's access
// rules (ovh.AccessRules), prints the URL where the account's owner
// validates it, waits for the validation, and only then writes the key to
// the account's consumer_key_file, mode 0600. The key itself is never
// printed or logged; the application secret is only used to sign the polls.
func setupAuth(e *env, flags *pflag.FlagSet) runFunc {
	var c common
	c.register(flags)
	var o authOptions
	flags.StringVar(&o.account, "account", "", "the account `NAME` to ask a key for (default: the only one)")
	flags.BoolVar(&o.force, "force", false, "replace an existing consumer key file")
	flags.BoolVar(&o.printOnly, "print", false, "print the key request (POST /auth/credential with renewd's rules) and send nothing")
	flags.DurationVar(&o.timeout, "timeout", defaultAuthTimeout, "how long (`DURATION`) to wait for the key's validation")
	flags.DurationVar(&o.poll, "poll", defaultAuthPoll, "how often (`DURATION`) to ask OVH whether the key is validated")
	return func(ctx context.Context, _ []string) error { return auth(ctx, e, &c, o) }
}

// auth is renewd auth once its flags are parsed.
func auth(ctx context.Context, e *env, c *common, o authOptions) error {
	if o.timeout <= 0 || o.poll < 0 {
		return usageErr("--timeout must be positive and --poll not negative")
	}
	cfg, err := config.LoadForAuth(c.config, e.getenv)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	log, err := c.logger(e, cfg)
	if err != nil {
		return err
	}
	a, err := authAccount(cfg, o.account)
	if err != nil {
		return err
	}
	if o.printOnly {
		return printKeyRequest(e, a)
	}
	target := a.ConsumerKeyFile
	if err := checkKeyTarget(target, o.force); err != nil {
		return err
	}
	ak, as, err := a.LoadAppCredentials(e.getenv)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	client, err := ovh.New(ovh.Options{Account: a.Name, Endpoint: a.Endpoint, AppKey: ak.Reveal(), AppSecret: as.Reveal(),
		RateLimit: rate.Limit(a.RateLimit), Burst: a.Burst, Logger: log})
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("account %s: %w", a.Name, err)}
	}
	pk, err := client.RequestConsumerKey(ctx)
	if err != nil {
		return fmt.Errorf("account %s: %w", a.Name, err)
	}
	fmt.Fprintf(e.stdout, "OVH issued a consumer key for account %s with renewd's %d access rules.\n"+
		"Open this address, log in as the account's owner and validate it (choose an unlimited validity, or note when it ends):\n\n  %s\n\n"+
		"Waiting for the validation (up to %s; Ctrl-C stops)...\n", a.Name, len(ovh.AccessRules()), printableURL(pk.ValidationURL), o.timeout)
	wctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if _, err := pk.Wait(wctx, o.poll); err != nil {
		switch {
		case ctx.Err() != nil:
			err = fmt.Errorf("interrupted: nothing written; the key asked for lapses unvalidated")
		case errors.Is(err, context.DeadlineExceeded):
			err = fmt.Errorf("the key was not validated within %s: nothing written; run renewd auth again", o.timeout)
		}
		return fmt.Errorf("account %s: %w", a.Name, err)
	}
	if err := writeKeyFile(target, pk.Reveal(), o.force); err != nil {
		return fmt.Errorf("account %s: the key is validated but was not written: %w", a.Name, err)
	}
	fmt.Fprintf(e.stdout, "Validated. The consumer key of account %s is in %s (mode 0600).\n"+
		"Next: renewd doctor checks the whole setup; a running renewd needs a restart to use the new key.\n", a.Name, target)
	return nil
}

// authAccount picks the account: the one named, or the only one.
func authAccount(cfg *config.Config, name string) (config.Account, error) {
	if name == "" {
		if len(cfg.Accounts) == 1 {
			return cfg.Accounts[0], nil
		}
		names := make([]string, len(cfg.Accounts))
		for i, a := range cfg.Accounts {
			names[i] = a.Name
		}
		return config.Account{}, usageErr("the config has %d accounts (%s): name one with --account", len(names), strings.Join(names, ", "))
	}
	a, ok := cfg.AccountByName(name)
	if !ok {
		return config.Account{}, usageErr("--account %q: no such account in %s", name, cfg.Path)
	}
	return a, nil
}

// printKeyRequest prints what renewd auth would send, and sends nothing.
func printKeyRequest(e *env, a config.Account) error {
	body, err := ovh.KeyRequestJSON()
	if err != nil {
		return err
	}
	base := ovh.EndpointURL(a.Endpoint)
	if base == "" {
		base = "https://eu.api.ovh.com/1.0"
	}
	fmt.Fprintf(e.stdout, "POST %s/auth/credential\nX-Ovh-Application: YOUR_APPLICATION_KEY\nContent-Type: application/json\n\n%s\n", base, body)
	return nil
}

// checkKeyTarget refuses, before anything is asked of OVH, a key file that
// exists (without force) or a directory that does not.
func checkKeyTarget(path string, force bool) error {
	if path == "" {
		return usageErr("the account names no consumer_key_file: renewd auth writes the key there")
	}
	if _, err := os.Lstat(path); err == nil && !force {
		return usageErr("%s exists: --force replaces it (the key in it keeps working at OVH until you delete it)", path)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return usageErr("%s: its directory does not exist", path)
	}
	return nil
}

// writeKeyFile writes the key as one line, mode 0600, through a temporary
// file in the same directory: renamed over path with force, else linked to
// it, which fails if path has appeared meanwhile.
func writeKeyFile(path, key string, force bool) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".new-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if rerr := os.Remove(tmp); err == nil && rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = fmt.Errorf("write %s: %w", path, rerr)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if force {
		err = os.Rename(tmp, path)
	} else {
		err = os.Link(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// printableURL shows an address OVH sent as it is when it is plain printable
// ASCII, quoted otherwise.
func printableURL(s string) string {
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return strconv.Quote(s)
		}
	}
	return s
}
