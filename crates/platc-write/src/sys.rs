//! The only two system calls std does not offer: exchanging two directories atomically and
//! taking an advisory lock. This is the one module of the crate allowed to use `unsafe`.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// Atomically exchanges the directory entries `a` and `b` (`renameat2(RENAME_EXCHANGE)`).
///
/// Fails with `EINVAL`/`ENOSYS`/`EOPNOTSUPP` where the kernel or file system cannot do it; the
/// caller then falls back to two renames.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    let a = c_path(a)?;
    let b = c_path(b)?;
    // SAFETY: `a` and `b` are valid NUL-terminated C strings that live until after the call;
    // the kernel only reads them. `AT_FDCWD` is the documented "relative to the current
    // directory" sentinel, and the arguments match renameat2(2)'s prototype
    // (int, const char *, int, const char *, unsigned int).
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Non-Linux systems have no portable exchange; the caller falls back to two renames.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    let _ = (c_path(a)?, c_path(b)?);
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}

/// Whether an [`exchange`] error means "not supported here" rather than a real failure.
pub(crate) fn exchange_unsupported(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)
    )
}

/// Tries to take an exclusive `flock` on `file` without blocking.
///
/// `Ok(false)`: someone else holds it. The lock is released when `file` is closed, including
/// when the process is killed.
pub(crate) fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    // SAFETY: the descriptor belongs to `file`, which is borrowed for the duration of the call,
    // so it is open and valid; flock(2) has no memory-safety preconditions beyond that.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}
