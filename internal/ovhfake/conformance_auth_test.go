package ovhfake

import "time"

// walkAuth asks for a consumer key and reads the configured key's record,
// once without an expiration and once with one.
func (r *conformanceRun) walkAuth() {
	body := map[string]any{"accessRules": []AccessRule{{"GET", "/service"}, {"POST", "/service/*/renew"}}}
	r.call("POST /auth/credential", "POST", "/auth/credential", body, nil, 0)
	r.get("GET /auth/currentCredential", "/auth/currentCredential")
	r.e.fake.SetCredentialExpiration(r.e.client.ConsumerKey, r.e.clock.Now().Add(30*24*time.Hour))
	r.get("GET /auth/currentCredential", "/auth/currentCredential")
	r.e.fake.SetCredentialExpiration(r.e.client.ConsumerKey, time.Time{})
}
