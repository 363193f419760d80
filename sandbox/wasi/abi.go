// Package wasi is wasmplay's own implementation of WASI preview 1
// (wasi_snapshot_preview1), the host side of every call a guest makes.
// wasmtime's implementation is not used: with our own, every host call a
// guest can cause is ours to bound. Paths resolve beneath their directory
// in the kernel (openat2), named pipes and devices are never waited on,
// writes count against the session's disk quota, deep paths and escaping
// links are refused where they are made, standard output goes straight to
// the run's ordered log, and standard input, sleeps and polls end the
// moment the run is stopped.
package wasi

import (
	"encoding/binary"
	"errors"
	"io/fs"

	"golang.org/x/sys/unix"

	"github.com/wasmplay/wasmplay/hostfs"
)

// The module the functions are imported from.
const module = "wasi_snapshot_preview1"

// errno is a WASI error number.
type errno = int32

// The WASI errno values (witx `errno`).
const (
	errSuccess     errno = 0
	err2Big        errno = 1
	errAcces       errno = 2
	errAgain       errno = 6
	errBadf        errno = 8
	errBusy        errno = 10
	errDquot       errno = 19
	errExist       errno = 20
	errFault       errno = 21
	errFbig        errno = 22
	errIlseq       errno = 25
	errIntr        errno = 27
	errInval       errno = 28
	errIO          errno = 29
	errIsdir       errno = 31
	errLoop        errno = 32
	errMfile       errno = 33
	errMlink       errno = 34
	errNametoolong errno = 37
	errNfile       errno = 41
	errNodev       errno = 43
	errNoent       errno = 44
	errNomem       errno = 48
	errNospc       errno = 51
	errNosys       errno = 52
	errNotdir      errno = 54
	errNotempty    errno = 55
	errNotsock     errno = 57
	errNotsup      errno = 58
	errNotty       errno = 59
	errNxio        errno = 60
	errOverflow    errno = 61
	errPerm        errno = 63
	errPipe        errno = 64
	errRange       errno = 68
	errRofs        errno = 69
	errSpipe       errno = 70
	errTxtbsy      errno = 74
	errXdev        errno = 75
	errNotcapable  errno = 76
)

// errnoOf maps a host error to the WASI errno the guest sees.
func errnoOf(err error) errno {
	if err == nil {
		return errSuccess
	}
	switch {
	case errors.Is(err, hostfs.ErrEscape):
		return errPerm
	case errors.Is(err, hostfs.ErrNotRegular):
		return errNxio
	case errors.Is(err, fs.ErrInvalid):
		return errInval
	}
	var e unix.Errno
	if !errors.As(err, &e) {
		return errIO
	}
	switch e {
	case unix.E2BIG:
		return err2Big
	case unix.EACCES:
		return errAcces
	case unix.EAGAIN:
		return errAgain
	case unix.EBADF:
		return errBadf
	case unix.EBUSY:
		return errBusy
	case unix.EDQUOT:
		return errDquot
	case unix.EEXIST:
		return errExist
	case unix.EFAULT:
		return errFault
	case unix.EFBIG:
		return errFbig
	case unix.EILSEQ:
		return errIlseq
	case unix.EINTR:
		return errIntr
	case unix.EINVAL:
		return errInval
	case unix.EISDIR:
		return errIsdir
	case unix.ELOOP:
		return errLoop
	case unix.EMFILE:
		return errMfile
	case unix.EMLINK:
		return errMlink
	case unix.ENAMETOOLONG:
		return errNametoolong
	case unix.ENFILE:
		return errNfile
	case unix.ENODEV:
		return errNodev
	case unix.ENOENT:
		return errNoent
	case unix.ENOMEM:
		return errNomem
	case unix.ENOSPC:
		return errNospc
	case unix.ENOSYS:
		return errNosys
	case unix.ENOTDIR:
		return errNotdir
	case unix.ENOTEMPTY:
		return errNotempty
	case unix.ENOTSUP:
		return errNotsup
	case unix.ENOTTY:
		return errNotty
	case unix.ENXIO:
		return errNxio
	case unix.EOVERFLOW:
		return errOverflow
	case unix.EPERM:
		return errPerm
	case unix.EPIPE:
		return errPipe
	case unix.ERANGE:
		return errRange
	case unix.EROFS:
		return errRofs
	case unix.ESPIPE:
		return errSpipe
	case unix.ETXTBSY:
		return errTxtbsy
	case unix.EXDEV:
		return errPerm // out of the directory the lookup started in
	}
	return errIO
}

// File types (witx `filetype`).
const (
	fileUnknown   = 0
	fileBlock     = 1
	fileChar      = 2
	fileDirectory = 3
	fileRegular   = 4
	fileSymlink   = 7
)

// filetypeOf maps a st_mode to a WASI file type.
func filetypeOf(mode uint32) uint8 {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return fileRegular
	case unix.S_IFDIR:
		return fileDirectory
	case unix.S_IFLNK:
		return fileSymlink
	case unix.S_IFCHR:
		return fileChar
	case unix.S_IFBLK:
		return fileBlock
	}
	return fileUnknown
}

// Flags and enumerations of the calls.
const (
	oflagCreat     = 1
	oflagDirectory = 2
	oflagExcl      = 4
	oflagTrunc     = 8

	fdflagAppend   = 1
	fdflagDsync    = 2
	fdflagNonblock = 4
	fdflagRsync    = 8
	fdflagSync     = 16

	lookupSymlinkFollow = 1

	whenceSet = 0
	whenceCur = 1
	whenceEnd = 2

	fstAtim    = 1
	fstAtimNow = 2
	fstMtim    = 4
	fstMtimNow = 8
)

// Rights (witx `rights`): only what this host reports and checks.
const (
	rightFdRead  = 1 << 1
	rightFdSeek  = 1 << 2
	rightFdTell  = 1 << 5
	rightFdWrite = 1 << 6
	// rightsAll is every right WASI defines (bits 0..29).
	rightsAll = 1<<30 - 1
	// rightsRead are the rights that change nothing.
	rightsRead uint64 = 1<<1 | 1<<2 | 1<<5 | 1<<7 | 1<<13 | 1<<14 | 1<<15 | 1<<18 | 1<<21 | 1<<27
)

// Struct sizes (witx layouts).
const (
	fdstatSize   = 24
	filestatSize = 64
	direntSize   = 24
	iovecSize    = 8
	prestatSize  = 8
)

var le = binary.LittleEndian

// putFilestat writes a filestat for st at b[0:64].
func putFilestat(b []byte, st *unix.Stat_t) {
	le.PutUint64(b[0:], st.Dev)
	le.PutUint64(b[8:], st.Ino)
	b[16] = filetypeOf(st.Mode)
	clear(b[17:24])
	le.PutUint64(b[24:], st.Nlink)
	le.PutUint64(b[32:], uint64(st.Size))
	le.PutUint64(b[40:], uint64(st.Atim.Nano()))
	le.PutUint64(b[48:], uint64(st.Mtim.Nano()))
	le.PutUint64(b[56:], uint64(st.Ctim.Nano()))
}
