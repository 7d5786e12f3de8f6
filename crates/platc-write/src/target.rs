//! Where the output directory and its sibling work directories are, the lock that keeps two
//! platc processes apart, and recovery from a killed run.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::WriteError;
use crate::fsutil::{lstat, remove_tree, sync_dir};
use crate::sys;

/// How long a write waits for another platc process writing the same directory.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// The output directory and the sibling paths derived from its name.
pub(crate) struct Target {
    /// `parent/name`, with `parent` canonical; `name` itself is never resolved.
    pub out: PathBuf,
    pub parent: PathBuf,
    /// `parent/.name.platc-staging`: the tree being built, or the old tree after the swap.
    pub staging: PathBuf,
    /// `parent/.name.platc-old`: the old tree during the two-rename fallback swap.
    pub aside: PathBuf,
    name: OsString,
}

impl Target {
    fn sibling(parent: &Path, name: &OsString, suffix: &str) -> PathBuf {
        let mut sibling = OsString::from(".");
        sibling.push(name);
        sibling.push(suffix);
        parent.join(sibling)
    }

    /// A fresh name under which an old tree holding files platc could not place is kept.
    pub fn kept(&self) -> PathBuf {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self::sibling(&self.parent, &self.name, &format!(".platc-kept-{secs}"))
    }
}

/// Splits `out_dir` into a canonical parent and a final name, without resolving the final name
/// (so that a symlinked output directory is noticed rather than followed).
pub(crate) fn resolve(out_dir: &Path) -> Result<Target, WriteError> {
    let ends_in_name = matches!(out_dir.components().next_back(), Some(Component::Normal(_)));
    let (parent, name) = match (ends_in_name, out_dir.file_name()) {
        (true, Some(name)) => {
            let parent = match out_dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let parent = fs::canonicalize(parent).map_err(|err| {
                if err.kind() == io::ErrorKind::NotFound {
                    WriteError::ParentMissing {
                        path: out_dir.to_path_buf(),
                    }
                } else {
                    WriteError::io("resolve the parent of", out_dir, err)
                }
            })?;
            (parent, name.to_os_string())
        }
        _ => {
            // `.`, `..`, `/` or `x/..`: these name directories that exist, and the last
            // component is not a symbolic link by construction.
            let canonical = fs::canonicalize(out_dir)
                .map_err(|err| WriteError::io("resolve output directory", out_dir, err))?;
            match (canonical.parent(), canonical.file_name()) {
                (Some(parent), Some(name)) => (parent.to_path_buf(), name.to_os_string()),
                _ => {
                    return Err(WriteError::UnusableOutDir {
                        path: out_dir.to_path_buf(),
                        reason: "it is the file-system root",
                        hint: "choose a dedicated subdirectory as output directory",
                    })
                }
            }
        }
    };
    Ok(Target {
        out: parent.join(&name),
        staging: Target::sibling(&parent, &name, ".platc-staging"),
        aside: Target::sibling(&parent, &name, ".platc-old"),
        parent,
        name,
    })
}

/// `Ok(None)` if the output directory does not exist yet; its metadata if it is a directory.
pub(crate) fn inspect(target: &Target) -> Result<Option<fs::Metadata>, WriteError> {
    let meta = lstat(&target.out)
        .map_err(|err| WriteError::io("inspect output directory", &target.out, err))?;
    match meta {
        None => Ok(None),
        Some(meta) if meta.file_type().is_symlink() => Err(WriteError::OutDirIsSymlink {
            path: target.out.clone(),
        }),
        Some(meta) if !meta.file_type().is_dir() => Err(WriteError::OutDirNotADirectory {
            path: target.out.clone(),
        }),
        Some(meta) => Ok(Some(meta)),
    }
}

/// Refuses output directories that cannot be swapped out safely as a whole.
pub(crate) fn check_replaceable(target: &Target, meta: &fs::Metadata) -> Result<(), WriteError> {
    let parent = fs::symlink_metadata(&target.parent)
        .map_err(|err| WriteError::io("inspect", &target.parent, err))?;
    if parent.dev() != meta.dev() {
        return Err(WriteError::UnusableOutDir {
            path: target.out.clone(),
            reason: "it is a mount point",
            hint: "platc replaces the output directory atomically by a sibling built next to \
                   it; use a subdirectory of the mounted file system as output directory",
        });
    }
    let git = target.out.join(".git");
    if lstat(&git)
        .map_err(|err| WriteError::io("inspect", &git, err))?
        .is_some()
    {
        return Err(WriteError::UnusableOutDir {
            path: target.out.clone(),
            reason: "it is the root of a git repository",
            hint: "platc replaces the output directory as a whole, which would pull the \
                   repository away from a running git; write into a dedicated subdirectory",
        });
    }
    if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize) {
        if cwd.starts_with(&target.out) {
            return Err(WriteError::UnusableOutDir {
                path: target.out.clone(),
                reason: "the current directory is inside it",
                hint: "platc replaces the output directory as a whole, which would leave this \
                       process and its parent shell in the deleted old tree; run platc from \
                       outside the output directory",
            });
        }
    }
    Ok(())
}

/// An exclusive advisory lock on the output directory's parent, released on drop (or death).
pub(crate) struct Lock {
    _file: Option<File>,
}

pub(crate) fn lock(target: &Target) -> Result<Lock, WriteError> {
    let file = File::open(&target.parent)
        .map_err(|err| WriteError::io("open for locking", &target.parent, err))?;
    let started = Instant::now();
    loop {
        match sys::try_lock_exclusive(&file) {
            Ok(true) => return Ok(Lock { _file: Some(file) }),
            Ok(false) if started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(false) => {
                return Err(WriteError::Locked {
                    path: target.out.clone(),
                })
            }
            // File systems without flock (some network file systems): go on unlocked.
            Err(err)
                if matches!(
                    err.raw_os_error(),
                    Some(libc::ENOLCK) | Some(libc::EOPNOTSUPP)
                ) =>
            {
                return Ok(Lock { _file: None });
            }
            Err(err) => return Err(WriteError::io("lock", &target.parent, err)),
        }
    }
}

/// Undoes what a killed run left behind. Must run under the lock.
///
/// * Two-rename fallback killed between its renames: the output directory is missing and the
///   old tree sits aside; it is moved back (the previous tree stays the live one).
/// * A leftover aside or staging directory is never the live tree: it is deleted.
pub(crate) fn recover(target: &Target) -> Result<(), WriteError> {
    let inspect = |path: &Path| lstat(path).map_err(|err| WriteError::io("inspect", path, err));
    if inspect(&target.out)?.is_none() && inspect(&target.aside)?.is_some() {
        fs::rename(&target.aside, &target.out).map_err(|err| {
            WriteError::io(
                "restore the previous output directory from",
                &target.aside,
                err,
            )
        })?;
        sync_dir(&target.parent)?;
    }
    remove_tree(&target.aside)?;
    remove_tree(&target.staging)
}
