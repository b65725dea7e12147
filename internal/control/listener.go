package control

import (
	"net"
	"sync"
)

// limitListener accepts at most max connections at once, and reads each
// connection's peer credentials when it accepts it. At the limit, Accept
// waits for a connection to close before it accepts another: new callers
// queue in the kernel's listen backlog (and are refused once it is full),
// so a flood of idle connections holds at most max of the server's
// goroutines, each until the server's timeouts close it.
type limitListener struct {
	net.Listener
	sem      chan struct{}
	done     chan struct{}
	doneOnce sync.Once
	peerCred PeerCredFunc
	// waiting, when set (tests), is called when Accept waits for a free
	// slot.
	waiting func()
}

func newLimitListener(ln net.Listener, max int, peerCred PeerCredFunc) *limitListener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, max), done: make(chan struct{}), peerCred: peerCred}
}

// Accept takes a slot, then accepts a connection; the slot is freed when
// the connection is closed.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	default:
		if l.waiting != nil {
			l.waiting()
		}
		select {
		case l.sem <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	p, perr := l.peerCred(c)
	return &peerConn{Conn: c, peer: p, peerErr: perr, release: func() { <-l.sem }}, nil
}

// Close stops Accept, also one waiting for a slot.
func (l *limitListener) Close() error {
	l.doneOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// peerConn is an accepted connection with its peer's credentials.
type peerConn struct {
	net.Conn
	peer    Peer
	peerErr error

	closeOnce sync.Once
	release   func()
}

func (c *peerConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(c.release)
	return err
}
