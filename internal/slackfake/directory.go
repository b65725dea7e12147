package slackfake

import (
	"net/url"
	"slices"
)

// The read methods renewd doctor calls, played from a directory of
// channels and users the test fills in: auth.test says who the bot is,
// conversations.info whether a channel exists and the bot is in it,
// users.info whether a user exists. They check the bot token as the chat
// methods do, and are recorded.
const (
	AuthTest          = "auth.test"
	ConversationsInfo = "conversations.info"
	UsersInfo         = "users.info"
)

// Channel is a channel of the fake workspace.
type Channel struct {
	ID, Name          string
	Members           []string // user ids; the bot is in the channel when its id is here
	Private, Archived bool
}

// User is a user of the fake workspace.
type User struct {
	ID, Name, RealName string
	Deleted, IsBot     bool
}

// DefaultBotUser is the bot's user id until SetBot names another.
const DefaultBotUser = "UBOT00001"

// directory is the fake workspace, under Fake.mu.
type directory struct {
	botUser, botName string
	channels         map[string]Channel
	users            map[string]User
}

func (d *directory) init() {
	if d.channels == nil {
		d.channels, d.users = map[string]Channel{}, map[string]User{}
		d.botUser, d.botName = DefaultBotUser, "renewd"
	}
}

// SetBot names the bot user auth.test answers with.
func (f *Fake) SetBot(userID, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dir.init()
	f.dir.botUser, f.dir.botName = userID, name
}

// AddChannel adds a channel, or replaces the one with its id.
func (f *Fake) AddChannel(c Channel) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dir.init()
	c.Members = slices.Clone(c.Members)
	f.dir.channels[c.ID] = c
}

// AddUser adds a user, or replaces the one with its id.
func (f *Fake) AddUser(u User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dir.init()
	f.dir.users[u.ID] = u
}

// directoryFault is the Slack error a directory method answers for what
// the form asks (channel_not_found, user_not_found), or nil. f.mu is held.
func (f *Fake) directoryFault(method string, form url.Values) *Fault {
	f.dir.init()
	switch method {
	case ConversationsInfo:
		if _, ok := f.dir.channels[form.Get("channel")]; !ok {
			return &Fault{Code: "channel_not_found"}
		}
	case UsersInfo:
		if _, ok := f.dir.users[form.Get("user")]; !ok {
			return &Fault{Code: "user_not_found"}
		}
	}
	return nil
}

// fillDirectory completes a directory method's answer. f.mu is held.
func (f *Fake) fillDirectory(method string, form url.Values, resp map[string]any) {
	f.dir.init()
	switch method {
	case AuthTest:
		resp["url"], resp["team"], resp["team_id"] = "https://fake.slack.com/", "Fake workspace", "T0TEAM"
		resp["user"], resp["user_id"], resp["bot_id"] = f.dir.botName, f.dir.botUser, "B0BOT0001"
	case ConversationsInfo:
		c := f.dir.channels[form.Get("channel")]
		resp["channel"] = map[string]any{
			"id": c.ID, "name": c.Name, "is_channel": !c.Private, "is_private": c.Private,
			"is_archived": c.Archived, "is_member": slices.Contains(c.Members, f.dir.botUser),
		}
	case UsersInfo:
		u := f.dir.users[form.Get("user")]
		resp["user"] = map[string]any{
			"id": u.ID, "name": u.Name, "real_name": u.RealName, "deleted": u.Deleted, "is_bot": u.IsBot,
		}
	}
}
