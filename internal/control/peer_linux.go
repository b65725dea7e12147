//go:build linux

package control

import (
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"
)

// peerOf reads SO_PEERCRED and SO_PEERGROUPS of the socket fd.
func peerOf(fd int) (Peer, error) {
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return Peer{}, err
	}
	p := Peer{UID: cred.Uid, GID: cred.Gid, PID: cred.Pid}
	groups, err := peerGroups(fd)
	if err == nil {
		p.Groups = groups
	} else if !errors.Is(err, unix.ENOPROTOOPT) {
		return Peer{}, err
	}
	return p, nil
}

// peerGroups reads SO_PEERGROUPS: the peer's supplementary group ids, as an
// array of 32-bit gids. The kernel says ERANGE, with the length it needs,
// when the buffer is too small.
func peerGroups(fd int) ([]uint32, error) {
	groups := make([]uint32, 64)
	for {
		n := uint32(len(groups) * 4)
		_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_PEERGROUPS,
			uintptr(unsafe.Pointer(&groups[0])), uintptr(unsafe.Pointer(&n)), 0)
		switch {
		case errno == unix.ERANGE && int(n/4) > len(groups):
			groups = make([]uint32, n/4)
			continue
		case errno != 0:
			return nil, errno
		}
		return groups[: n/4 : n/4], nil
	}
}
