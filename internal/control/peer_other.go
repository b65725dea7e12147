//go:build !linux

package control

import "errors"

// peerOf is Linux-only (SO_PEERCRED); elsewhere the caller is unknown, and
// decisions are refused.
func peerOf(int) (Peer, error) {
	return Peer{}, errors.New("peer credentials are read only on Linux")
}
