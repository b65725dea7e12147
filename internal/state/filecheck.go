package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
)

// ErrCorrupt: the ledger file is damaged (cut short, overwritten, not a
// bbolt file, or changed under renewd while open). Nothing in it can be
// trusted: renewd refuses to use it, and the operator restores the latest
// copy written by `renewd backup`. Match it with errors.Is; the error is a
// *CorruptError.
var ErrCorrupt = errors.New("ledger file damaged")

// CorruptError is ErrCorrupt with the file and what is wrong with it. Its
// text names the file and says what to do.
type CorruptError struct {
	Path   string
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("ledger %s is damaged: %s; renewd will not use it: stop renewd and restore the latest copy written by `renewd backup` (docs/operations.md, \"Backup and restore\")",
		e.Path, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// bbolt's on-disk constants (go.etcd.io/bbolt/internal/common). A bbolt
// file is native-endian; renewd reads it on the machine that wrote it.
const (
	boltMagic          = 0xED0CDAED
	boltVersion        = 2
	boltPageHeaderSize = 16 // id u64, flags u16, count u16, overflow u32
	boltMetaSize       = 64 // the meta, after the page header
	boltMetaSumSize    = 56 // the bytes the meta's checksum covers
	boltNoFreelist     = ^uint64(0)
	boltFlagBranch     = 0x01
	boltFlagLeaf       = 0x02
	boltFlagFreelist   = 0x10
	boltMinPageSize    = 1024
	boltMaxPageSize    = 1 << 24 // bbolt looks for the second meta page up to this
)

// boltMeta is a bbolt meta page's fields, as stored after the page header.
type boltMeta struct {
	magic, version, pageSize uint32
	root, freelist, pgid     uint64
	txid, checksum           uint64
	problem                  string // why it is not valid; "" when valid
}

// parseMeta reads the meta stored at b[boltPageHeaderSize:] and checks it
// as bbolt's Meta.Validate does (magic, version, checksum).
func parseMeta(b []byte) boltMeta {
	if len(b) < boltPageHeaderSize+boltMetaSize {
		return boltMeta{problem: "missing"}
	}
	m := b[boltPageHeaderSize : boltPageHeaderSize+boltMetaSize]
	ne := binary.NativeEndian
	meta := boltMeta{
		magic: ne.Uint32(m[0:]), version: ne.Uint32(m[4:]), pageSize: ne.Uint32(m[8:]),
		root: ne.Uint64(m[16:]), freelist: ne.Uint64(m[32:]), pgid: ne.Uint64(m[40:]),
		txid: ne.Uint64(m[48:]), checksum: ne.Uint64(m[56:]),
	}
	h := fnv.New64a()
	h.Write(m[:boltMetaSumSize])
	switch {
	case meta.magic != boltMagic:
		meta.problem = "no bbolt magic number"
	case meta.version != boltVersion:
		meta.problem = fmt.Sprintf("bbolt format version %d, not %d", meta.version, boltVersion)
	case meta.checksum != h.Sum64():
		meta.problem = "checksum mismatch"
	}
	return meta
}

// checkFile checks, before bbolt maps the file at path into memory, that
// the file holds everything its meta pages say it does: bbolt trusts them,
// and touching a mapped page past the end of a file cut short kills the
// process with SIGBUS. It validates both meta pages as bbolt does (magic,
// version, checksum), picks the one bbolt would use (the valid one with
// the higher transaction id), and checks its page size, its high-water
// page id against the file's size, and that its root and freelist pages
// lie below that mark and are of the right type.
//
// A missing file passes (Open creates it); an empty one does not, since
// bbolt would silently start a new ledger in it. Failures are
// *CorruptError; an error reading the file is returned as is. When one
// meta page is invalid and the other is not, the file passes (bbolt uses
// the valid one: a meta write torn by a crash is what the pair is for) and
// warn says which one bbolt falls back to, for the log.
func checkFile(path string) (warn string, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("open ledger %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("open ledger %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("open ledger %s: not a regular file (%s)", path, fi.Mode().Type())
	}
	size := fi.Size()
	corrupt := func(format string, args ...any) error {
		return &CorruptError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	if size == 0 {
		return "", corrupt("the file is empty (0 bytes; a new ledger is created only where no file exists, so if renewd never completed a cycle with this file, delete it)")
	}
	read := func(off int64, n int) ([]byte, error) {
		buf := make([]byte, n)
		got, err := f.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("open ledger %s: %w", path, err)
		}
		return buf[:got], nil
	}
	head, err := read(0, boltPageHeaderSize+boltMetaSize)
	if err != nil {
		return "", err
	}
	if len(head) < boltPageHeaderSize+boltMetaSize {
		return "", corrupt("%d bytes, shorter than a bbolt meta page", size)
	}
	meta0 := parseMeta(head)

	// The page size: from the first meta page, else from the second, which
	// is one page in, wherever a page size puts it (as bbolt looks for it).
	pageSize, found := int64(meta0.pageSize), meta0.problem == ""
	if !found {
		for ps := int64(boltMinPageSize); ps <= boltMaxPageSize && ps+boltPageHeaderSize+boltMetaSize <= size; ps <<= 1 {
			b, err := read(ps, boltPageHeaderSize+boltMetaSize)
			if err != nil {
				return "", err
			}
			if m := parseMeta(b); m.problem == "" {
				pageSize, found = int64(m.pageSize), true
				break
			}
		}
		if !found {
			return "", corrupt("%d bytes and no valid bbolt meta page (the first: %s)", size, meta0.problem)
		}
	}
	if pageSize < boltMinPageSize || pageSize > boltMaxPageSize || pageSize&(pageSize-1) != 0 {
		return "", corrupt("its meta page gives a page size of %d bytes", pageSize)
	}
	if size < 2*pageSize {
		return "", corrupt("%d bytes, shorter than its two meta pages (2 × %d bytes): the file was cut short", size, pageSize)
	}
	b, err := read(pageSize, boltPageHeaderSize+boltMetaSize)
	if err != nil {
		return "", err
	}
	meta1 := parseMeta(b)

	// bbolt uses the meta with the higher transaction id when it is valid,
	// else the other one.
	m, other := meta0, meta1
	if meta1.txid > meta0.txid {
		m, other = meta1, meta0
	}
	if m.problem != "" {
		m = other
	}
	if m.problem != "" {
		return "", corrupt("both bbolt meta pages are invalid (first: %s; second: %s)", meta0.problem, meta1.problem)
	}
	if int64(m.pageSize) != pageSize {
		return "", corrupt("its meta pages disagree on the page size (%d and %d bytes)", pageSize, m.pageSize)
	}
	pages := uint64(size / pageSize)
	if m.pgid > pages {
		return "", corrupt("%d bytes, but its meta page (transaction %d) says it holds %d pages of %d bytes (%d bytes): the file was cut short",
			size, m.txid, m.pgid, pageSize, m.pgid*uint64(pageSize))
	}
	if m.root < 2 || m.root >= m.pgid {
		return "", corrupt("its root page %d is outside its %d pages", m.root, m.pgid)
	}
	if err := checkPage(read, pageSize, m.root, m.pgid, "root", boltFlagBranch, boltFlagLeaf); err != nil {
		return "", corrupt("%s", err)
	}
	if m.freelist != boltNoFreelist {
		if m.freelist < 2 || m.freelist >= m.pgid {
			return "", corrupt("its freelist page %d is outside its %d pages", m.freelist, m.pgid)
		}
		if err := checkPage(read, pageSize, m.freelist, m.pgid, "freelist", boltFlagFreelist); err != nil {
			return "", corrupt("%s", err)
		}
	}
	if bad, problem := 0, meta0.problem; problem != "" || meta1.problem != "" {
		if problem == "" {
			bad, problem = 1, meta1.problem
		}
		warn = fmt.Sprintf("bbolt meta page %d is invalid (%s); bbolt uses the other one, of transaction %d", bad, problem, m.txid)
	}
	return warn, nil
}

// checkPage reads the header of page id and checks that its type is one of
// flags and that it and its overflow pages lie below the high-water mark.
func checkPage(read func(int64, int) ([]byte, error), pageSize int64, id, pgid uint64, what string, flags ...uint16) error {
	h, err := read(int64(id)*pageSize, boltPageHeaderSize)
	if err != nil {
		return err
	}
	if len(h) < boltPageHeaderSize {
		return fmt.Errorf("its %s page %d cannot be read", what, id)
	}
	ne := binary.NativeEndian
	flag, overflow := ne.Uint16(h[8:]), uint64(ne.Uint32(h[12:]))
	ok := false
	for _, f := range flags {
		ok = ok || flag == f
	}
	if !ok {
		return fmt.Errorf("its %s page %d has page type %#x", what, id, flag)
	}
	if id+overflow >= pgid {
		return fmt.Errorf("its %s page %d runs %d pages past its %d pages", what, id, id+overflow+1-pgid, pgid)
	}
	return nil
}
