package ovhfake

import (
	"sync"
	"time"
)

// Clock is a settable clock for tests, to be shared by a Fake (Options.Now)
// and the code under test, so that a test moves time by hand and nothing
// sleeps. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads t until moved.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// EnvVars are the environment variables go-ovh reads credentials and the
// endpoint from.
var EnvVars = []string{"OVH_ENDPOINT", "OVH_APPLICATION_KEY", "OVH_APPLICATION_SECRET", "OVH_CONSUMER_KEY",
	"OVH_CLIENT_ID", "OVH_CLIENT_SECRET", "OVH_ACCESS_TOKEN"}

// TB is the part of testing.TB that IsolateEnv uses; this package does not
// import testing, since renewd's demo links it.
type TB interface {
	Helper()
	Setenv(key, value string)
	TempDir() string
	Chdir(dir string)
}

// IsolateEnv keeps go-ovh, in a test, from reading the machine's own OVH
// credentials: it empties the OVH_* variables and points HOME and the
// working directory (go-ovh reads ~/.ovh.conf and ./ovh.conf) at empty
// directories. A stray OVH_CLIENT_ID would otherwise make go-ovh refuse
// "multiple authentication methods".
func IsolateEnv(t TB) {
	t.Helper()
	for _, k := range EnvVars {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", t.TempDir())
	t.Chdir(t.TempDir())
}
