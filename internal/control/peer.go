package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/user"
	"regexp"
	"slices"
	"strconv"
)

// Peer is who is at the other end of a control connection, as the kernel
// says (SO_PEERCRED when the connection was made), never as a request
// claims.
type Peer struct {
	UID, GID uint32
	PID      int32
	// Groups are the peer process's supplementary groups (SO_PEERGROUPS);
	// nil when the kernel does not say, and then the group database's
	// memberships of UID are used instead.
	Groups []uint32
}

// PeerCredFunc reads the credentials of the process at the other end of a
// unix socket connection. The server calls it once per connection, on the
// connection it accepted.
type PeerCredFunc func(net.Conn) (Peer, error)

// SocketPeer reads the connection's peer credentials from the kernel:
// SO_PEERCRED (uid, gid, pid) and SO_PEERGROUPS (supplementary groups,
// Linux 4.13 and later; nil before). It is the server's default
// PeerCredFunc; conn must be a *net.UnixConn.
func SocketPeer(conn net.Conn) (Peer, error) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return Peer{}, fmt.Errorf("peer credentials: %T is not a unix socket connection", conn)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}, fmt.Errorf("peer credentials: %w", err)
	}
	var p Peer
	var credErr error
	if err := raw.Control(func(fd uintptr) { p, credErr = peerOf(int(fd)) }); err != nil {
		return Peer{}, fmt.Errorf("peer credentials: %w", err)
	}
	if credErr != nil {
		return Peer{}, fmt.Errorf("peer credentials: %w", credErr)
	}
	return p, nil
}

// peerKey carries a connection's peer into its requests' contexts.
type peerKey struct{}

type peerInfo struct {
	peer Peer
	err  error
}

func withPeer(ctx context.Context, p Peer, err error) context.Context {
	return context.WithValue(ctx, peerKey{}, peerInfo{peer: p, err: err})
}

// peerFrom returns the request's peer, or why it is not known.
func peerFrom(ctx context.Context) (Peer, error) {
	info, ok := ctx.Value(peerKey{}).(peerInfo)
	if !ok {
		return Peer{}, errors.New("the connection carries no peer credentials")
	}
	return info.peer, info.err
}

// safeUserName is what a recorded user name may hold; anything else is
// recorded as uid:N.
var safeUserName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}\$?$`)

// userName is the name of uid in the user database, or "uid:N" when it has
// none (or one unsafe to record).
func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil && safeUserName.MatchString(u.Username) {
		return u.Username
	}
	return "uid:" + id
}

// DecisionActor is the actor a decision by the user uid is recorded under:
// "cli:NAME", NAME being uid's user name (or uid:N), then " (note: NOTE)"
// when note is not empty. The server records decisions made through the
// socket so; a command that decides on the ledger itself uses it with its
// own uid. note is refused (a *FieldError for field "note") when it is
// longer than 64 bytes or holds a control or formatting character.
func DecisionActor(uid uint32, note string) (string, error) {
	if err := checkText("note", note, maxNoteLen); err != nil {
		return "", err
	}
	return actorOf(userName(uid), note), nil
}

func actorOf(name, note string) string {
	if note == "" {
		return "cli:" + name
	}
	return "cli:" + name + " (note: " + note + ")"
}

// group is the control_group rule: decisions need root or membership.
type group struct {
	name string
	gid  uint32
}

// lookupGroup resolves a group name to its id.
func lookupGroup(name string) (*group, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return nil, fmt.Errorf("control_group %q: %w", name, err)
	}
	gid, err := strconv.ParseUint(g.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("control_group %q: group id %q: %w", name, g.Gid, err)
	}
	return &group{name: name, gid: uint32(gid)}, nil
}

// admits reports whether the peer may decide: root, or a member of the
// group by its primary group or a supplementary one. Without the kernel's
// list of supplementary groups, the group database's memberships of the
// peer's user are used.
func (g *group) admits(p Peer) bool {
	if g == nil || p.UID == 0 || p.GID == g.gid || slices.Contains(p.Groups, g.gid) {
		return true
	}
	if p.Groups != nil {
		return false
	}
	u, err := user.LookupId(strconv.FormatUint(uint64(p.UID), 10))
	if err != nil {
		return false
	}
	ids, err := u.GroupIds()
	return err == nil && slices.Contains(ids, strconv.FormatUint(uint64(g.gid), 10))
}
