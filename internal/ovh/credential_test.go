package ovh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd/internal/ovhfake"
)

// fakeRules is AccessRules in the fake's words.
func fakeRules(rules []AccessRule) []ovhfake.AccessRule {
	out := make([]ovhfake.AccessRule, len(rules))
	for i, r := range rules {
		out[i] = ovhfake.AccessRule{Method: r.Method, Path: r.Path}
	}
	return out
}

func TestCurrentCredential(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.fake.SetCredentialRules(testConsumerKey, fakeRules(AccessRules()))
	end := f.now.Add(90 * 24 * time.Hour)
	f.fake.SetCredentialExpiration(testConsumerKey, end)
	cr, err := f.client.CurrentCredential(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Status != CredentialValidated || cr.ID != 1 || !cr.Expires.Equal(end) {
		t.Errorf("record = %+v", cr)
	}
	if rc := CheckRules(cr.Rules); len(rc.Missing)+len(rc.Extra) != 0 {
		t.Errorf("the key holds exactly renewd's rules, CheckRules says %+v", rc)
	}

	f.fake.SetCredentialStatus(testConsumerKey, ovhfake.CredentialRefused)
	_, err = f.client.CurrentCredential(ctx)
	if !IsInvalidCredential(err) || IsNotGranted(err) || !IsForbidden(err) {
		t.Errorf("a refused key: %v (invalid credential %v)", err, IsInvalidCredential(err))
	}
	assertNoSecret(t, err)
	f.fake.SetCredentialStatus(testConsumerKey, ovhfake.CredentialValidated)
	f.fake.SetCredentialRules(testConsumerKey, []ovhfake.AccessRule{{Method: "GET", Path: "/service"}})
	if _, err := f.client.CurrentCredential(ctx); !IsNotGranted(err) || IsInvalidCredential(err) {
		t.Errorf("a key without the rule: %v", err)
	}
}

func TestCurrentCredentialWrongAppCredentials(t *testing.T) {
	for _, tt := range []struct {
		name   string
		ak, as string
		is     func(error) bool
	}{
		{"unknown application key", "ak-not-known", testAppSecret, IsInvalidKey},
		{"wrong application secret", testAppKey, "as-CANARY-wrong-1234", IsInvalidSignature},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.AppKey, o.AppSecret = tt.ak, tt.as })
			_, err := f.client.CurrentCredential(context.Background())
			if !tt.is(err) {
				t.Errorf("CurrentCredential: %v", err)
			}
			assertNoSecret(t, err)
			if strings.Contains(fmt.Sprint(err), tt.as) {
				t.Errorf("the secret leaked: %v", err)
			}
		})
	}
}

// validate posts the owner's decision on a key's validation page.
func validate(t *testing.T, validationURL, decision string) {
	t.Helper()
	resp, err := http.PostForm(validationURL, url.Values{"decision": {decision}})
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("validation page: %d", resp.StatusCode)
	}
}

// TestRequestConsumerKey: go-ovh's CkRequest carries exactly renewd's
// rules; Wait polls through the pending answers (in both forms OVH may
// give them) until the owner validates the key, and the key signs.
func TestRequestConsumerKey(t *testing.T) {
	for _, readable := range []bool{false, true} {
		t.Run(fmt.Sprintf("pending readable %v", readable), func(t *testing.T) {
			var pk atomic.Pointer[PendingKey]
			var polls atomic.Int32
			f := newFixtureWith(t, ovhfake.SampleScenario,
				func(o *ovhfake.Options) { o.PendingCredentialReadable = readable },
				func(o *Options) {
					o.ConsumerKey = ""
					o.Sleep = func(ctx context.Context, d time.Duration) error {
						if d != 7*time.Second {
							t.Errorf("Wait slept %s, want the 7s asked for", d)
						}
						if polls.Add(1) == 3 {
							validate(t, pk.Load().ValidationURL, "validate") // the owner clicks
						}
						return ctx.Err()
					}
				})
			p, err := f.client.RequestConsumerKey(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			pk.Store(p)
			recs := f.fake.Credentials()
			if len(recs) != 2 || recs[1].Status != ovhfake.CredentialPending || recs[1].ConsumerKey != p.Reveal() {
				t.Fatalf("fake's keys = %+v", recs)
			}
			if diff := cmp.Diff(fakeRules(AccessRules()), recs[1].Rules); diff != "" {
				t.Errorf("rules asked for (-renewd's +sent):\n%s", diff)
			}
			for _, shown := range []string{fmt.Sprint(p), fmt.Sprintf("%v %s %+v", p, p, p)} {
				if strings.Contains(shown, p.Reveal()) {
					t.Errorf("the pending key prints its key: %s", shown)
				}
			}
			cr, err := p.Wait(context.Background(), 7*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if cr.Status != CredentialValidated || polls.Load() != 3 {
				t.Errorf("Wait = %+v after %d sleeps, want validated after 3", cr, polls.Load())
			}
			if _, err := p.client.Services(context.Background()); err != nil {
				t.Errorf("the new key does not sign: %v", err)
			}
		})
	}
}

func TestWaitStops(t *testing.T) {
	ctx := context.Background()
	t.Run("refused", func(t *testing.T) {
		f := newFixtureWith(t, ovhfake.SampleScenario,
			func(o *ovhfake.Options) { o.PendingCredentialReadable = true }, func(o *Options) { o.ConsumerKey = "" })
		p, err := f.client.RequestConsumerKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		validate(t, p.ValidationURL, "refuse")
		// Where OVH answers a refused key 403 like a waiting one, only the
		// timeout ends the wait; where the record is readable, it says so.
		_, err = p.Wait(ctx, time.Second)
		if err == nil || !strings.Contains(err.Error(), `"refused"`) {
			t.Fatalf("Wait for a refused key: %v", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		f := newFixture(t, func(o *Options) { o.ConsumerKey = "" })
		p, err := f.client.RequestConsumerKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		dctx, cancel := context.WithCancel(ctx)
		n := 0
		p.client.sleep = func(ctx context.Context, d time.Duration) error {
			if n++; n == 4 {
				cancel() // Ctrl-C while the owner has not validated it
			}
			return ctx.Err()
		}
		if _, err := p.Wait(dctx, time.Second); !errors.Is(err, context.Canceled) {
			t.Errorf("Wait after cancel: %v", err)
		}
	})
	t.Run("validated without the rule to read itself", func(t *testing.T) {
		f := newFixture(t, func(o *Options) { o.ConsumerKey = "" })
		p, err := f.client.RequestConsumerKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		validate(t, p.ValidationURL, "validate")
		f.fake.SetCredentialRules(p.Reveal(), []ovhfake.AccessRule{{Method: "GET", Path: "/service"}})
		if cr, err := p.Wait(ctx, time.Second); err != nil || cr.Status != CredentialValidated {
			t.Errorf("Wait = %+v, %v; want validated", cr, err)
		}
	})
}

// TestKeyRequestJSON: the printed request is go-ovh's body, with exactly
// renewd's rules.
func TestKeyRequestJSON(t *testing.T) {
	raw, err := KeyRequestJSON()
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		AccessRules []AccessRule `json:"accessRules"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	want := AccessRules()
	for i := range want {
		want[i].Why = ""
	}
	if diff := cmp.Diff(want, body.AccessRules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if EndpointURL("ovh-eu") != "https://eu.api.ovh.com/1.0" || EndpointURL("http://x/1.0") != "http://x/1.0" || EndpointURL("nope") != "" {
		t.Error("EndpointURL")
	}
}
