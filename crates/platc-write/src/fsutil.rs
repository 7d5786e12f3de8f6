//! Small file-system helpers that never follow symbolic links.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::error::WriteError;

/// `lstat`, with "does not exist" as `None`.
pub(crate) fn lstat(path: &Path) -> io::Result<Option<fs::Metadata>> {
    match fs::symlink_metadata(path) {
        Ok(meta) => Ok(Some(meta)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// Piece size of [`same_contents`].
const COMPARE_PIECE: usize = 64 * 1024;

/// Whether the rest of `file` equals `bytes`, every byte, reading it piece by piece: a file is
/// never held in memory whole (at 10,000 services `databases.tf` alone is over 40 MB).
pub(crate) fn same_contents(file: &mut File, bytes: &[u8]) -> io::Result<bool> {
    let mut buf = vec![0u8; COMPARE_PIECE.min(bytes.len() + 1)];
    let mut rest = bytes;
    loop {
        let n = match file.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(rest.is_empty());
        }
        match rest.split_at_checked(n) {
            Some((head, tail)) if buf.get(..n) == Some(head) => rest = tail,
            _ => return Ok(false),
        }
    }
}

/// Whether files created with mode 0644 in a staging tree come out with another mode (a
/// umask or default ACL that narrows it) and need a `chmod`. Learned from the first file
/// created: the umask is the process's, and every directory of the staging tree is created by
/// the write itself, so inherits the same default ACL. Saves one system call per file.
#[derive(Default)]
pub(crate) struct ModeFix(AtomicU8);

const MODE_UNKNOWN: u8 = 0;
const MODE_NEEDS_CHMOD: u8 = 1;
const MODE_EXACT: u8 = 2;

/// Creates `path` (which must not exist) with `bytes`, mode 0644, and fsyncs it.
pub(crate) fn write_new_file(path: &Path, bytes: &[u8], fix: &ModeFix) -> Result<(), WriteError> {
    let err = |err| WriteError::io("write file", path, err);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
        .map_err(err)?;
    file.write_all(bytes).map_err(err)?;
    // The umask (or a default ACL) may have narrowed the mode given to open().
    let chmod = match fix.0.load(Ordering::Relaxed) {
        MODE_EXACT => false,
        MODE_NEEDS_CHMOD => true,
        _ => {
            let exact = file.metadata().map_err(err)?.permissions().mode() & 0o7777 == 0o644;
            let learned = if exact { MODE_EXACT } else { MODE_NEEDS_CHMOD };
            let _ =
                fix.0
                    .compare_exchange(MODE_UNKNOWN, learned, Ordering::Relaxed, Ordering::Relaxed);
            !exact
        }
    };
    if chmod {
        file.set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(err)?;
    }
    file.sync_all().map_err(err)
}

/// fsyncs a directory, making the entries created in it durable.
pub(crate) fn sync_dir(path: &Path) -> Result<(), WriteError> {
    File::open(path)
        .and_then(|dir| dir.sync_all())
        .map_err(|err| WriteError::io("sync directory", path, err))
}

/// Deletes `path` and everything below it without following symbolic links. Directories that
/// lack owner permissions (read-only user directories) are made accessible first.
pub(crate) fn remove_tree(path: &Path) -> Result<(), WriteError> {
    let Some(meta) = lstat(path).map_err(|err| WriteError::io("inspect", path, err))? else {
        return Ok(());
    };
    if !meta.file_type().is_dir() {
        return fs::remove_file(path).map_err(|err| WriteError::io("delete", path, err));
    }
    if meta.permissions().mode() & 0o700 != 0o700 {
        let mode = (meta.permissions().mode() | 0o700) & 0o7777;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(|err| WriteError::io("make writable for deletion", path, err))?;
    }
    // Read the whole listing before deleting anything: readdir during deletion is unspecified.
    let entries = fs::read_dir(path)
        .and_then(|entries| entries.collect::<io::Result<Vec<_>>>())
        .map_err(|err| WriteError::io("read directory", path, err))?;
    for entry in entries {
        let child = entry.path();
        let is_dir = entry
            .file_type()
            .map_err(|err| WriteError::io("inspect", &child, err))?
            .is_dir();
        if is_dir {
            remove_tree(&child)?;
        } else {
            fs::remove_file(&child).map_err(|err| WriteError::io("delete", &child, err))?;
        }
    }
    fs::remove_dir(path).map_err(|err| WriteError::io("delete directory", path, err))
}

/// Threads of fsync-bound work: on disks, threads mostly wait, and concurrent fsyncs share
/// journal commits, so more than there are cores.
pub(crate) fn io_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores * 4).clamp(4, 16)
}

/// Runs `f` on every item, on [`io_threads`] threads, and returns the results in input order (or
/// the error of the first failing item, in input order).
pub(crate) fn par_map<T, R, F>(items: &[T], context: &Path, f: F) -> Result<Vec<R>, WriteError>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> Result<R, WriteError> + Sync,
{
    let threads = io_threads();
    if items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    let parts: Vec<Result<Vec<R>, WriteError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Result<Vec<R>, _>>()))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(WriteError::Internal {
                        path: context.to_path_buf(),
                        reason: "a worker thread panicked",
                    })
                })
            })
            .collect()
    });
    let mut results = Vec::with_capacity(items.len());
    for part in parts {
        results.extend(part?);
    }
    Ok(results)
}
