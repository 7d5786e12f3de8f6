//! The one error type of this crate.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why a write (or a comparison) could not be done.
///
/// Every variant names the offending path on disk; [`WriteError::hint`] says what the user can
/// do about it. Unless stated otherwise, nothing in the output directory was changed when a
/// write returns one of these.
#[derive(Debug)]
#[non_exhaustive]
pub enum WriteError {
    /// A file-system operation failed.
    Io {
        /// What platc was doing (`"read directory"`, `"create staging directory"`, ...).
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// The output directory is a symbolic link; platc does not follow it.
    OutDirIsSymlink { path: PathBuf },
    /// The output path exists but is not a directory.
    OutDirNotADirectory { path: PathBuf },
    /// The directory that should contain the output directory does not exist.
    ParentMissing { path: PathBuf },
    /// The output directory cannot be replaced as a whole (file-system root, contains the
    /// current directory, is a repository root, is a mount point, ...).
    UnusableOutDir {
        path: PathBuf,
        reason: &'static str,
        hint: &'static str,
    },
    /// Another platc process is writing the same output directory.
    Locked { path: PathBuf },
    /// A symbolic link sits where platc needs a directory on the way to a generated file.
    SymlinkInPath { path: PathBuf },
    /// A fifo, socket or device file inside the output directory.
    SpecialFile { path: PathBuf },
    /// A generated path is taken by something platc did not generate.
    Collision {
        path: PathBuf,
        /// `"file"`, `"symbolic link"` or `"directory"`.
        existing: &'static str,
    },
    /// The tree wants a path both as a file and as a directory.
    FileDirConflict { path: PathBuf },
    /// Two parts of a tree written by a [`Writer`](crate::Writer) claim the same path.
    DuplicatePath { path: PathBuf },
    /// The tree contains the reserved manifest path.
    ReservedPath { path: PathBuf },
    /// The tree contains a path the manifest cannot record.
    UnsupportedPath { path: PathBuf, reason: &'static str },
    /// The manifest of the previous run cannot be read.
    BadManifest {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// A parallel worker died; nothing was swapped.
    Internal { path: PathBuf, reason: &'static str },
}

impl WriteError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        WriteError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The path on disk the error is about.
    pub fn path(&self) -> &Path {
        match self {
            WriteError::Io { path, .. }
            | WriteError::OutDirIsSymlink { path }
            | WriteError::OutDirNotADirectory { path }
            | WriteError::ParentMissing { path }
            | WriteError::UnusableOutDir { path, .. }
            | WriteError::Locked { path }
            | WriteError::SymlinkInPath { path }
            | WriteError::SpecialFile { path }
            | WriteError::Collision { path, .. }
            | WriteError::FileDirConflict { path }
            | WriteError::DuplicatePath { path }
            | WriteError::ReservedPath { path }
            | WriteError::UnsupportedPath { path, .. }
            | WriteError::BadManifest { path, .. }
            | WriteError::Internal { path, .. } => path,
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            WriteError::Io { action, source, .. } => io_hint(action, source),
            WriteError::OutDirIsSymlink { .. } => {
                "platc replaces the output directory as a whole and does not follow symbolic \
                 links; point it at the real directory instead"
                    .into()
            }
            WriteError::OutDirNotADirectory { .. } => {
                "move the file away or choose another output directory".into()
            }
            WriteError::ParentMissing { .. } => {
                "create the parent directory first; platc only creates the output directory itself"
                    .into()
            }
            WriteError::UnusableOutDir { hint, .. } => (*hint).into(),
            WriteError::Locked { .. } => {
                "wait for the other platc run to finish, then try again".into()
            }
            WriteError::SymlinkInPath { .. } => {
                "platc writes only real directories; replace the symbolic link by a directory or \
                 remove it"
                    .into()
            }
            WriteError::SpecialFile { .. } => {
                "fifos, sockets and device files cannot live in the output directory; move it \
                 elsewhere"
                    .into()
            }
            WriteError::Collision { existing, .. } => format!(
                "platc did not generate this {existing} (it is not in .platc-manifest) and will \
                 not overwrite it; move or delete it, or restore .platc-manifest if platc did \
                 generate it"
            ),
            WriteError::FileDirConflict { .. } => {
                "two outputs use this path as a file and as a directory; rename one of them in \
                 platform.toml"
                    .into()
            }
            WriteError::DuplicatePath { .. } => {
                "two outputs claim this path; rename one of them in platform.toml".into()
            }
            WriteError::ReservedPath { .. } => {
                ".platc-manifest is reserved for platc's own bookkeeping; rename the output".into()
            }
            WriteError::UnsupportedPath { .. } => "rename the output in platform.toml".into(),
            WriteError::BadManifest { .. } => {
                "the manifest lists the files platc generated last time; restore it from version \
                 control (e.g. `git checkout -- <path>`), or delete it and move the previously \
                 generated files away"
                    .into()
            }
            WriteError::Internal { .. } => {
                "this is a bug in platc; nothing was changed, please report it".into()
            }
        }
    }

    fn message(&self) -> String {
        match self {
            WriteError::Io { action, source, .. } => format!("cannot {action}: {source}"),
            WriteError::OutDirIsSymlink { .. } => "the output directory is a symbolic link".into(),
            WriteError::OutDirNotADirectory { .. } => {
                "the output path exists but is not a directory".into()
            }
            WriteError::ParentMissing { .. } => {
                "the parent of the output directory does not exist".into()
            }
            WriteError::UnusableOutDir { reason, .. } => {
                format!("unusable output directory: {reason}")
            }
            WriteError::Locked { .. } => {
                "another platc process is writing this output directory".into()
            }
            WriteError::SymlinkInPath { .. } => {
                "a symbolic link is in the way of a generated file".into()
            }
            WriteError::SpecialFile { .. } => "special file in the output directory".into(),
            WriteError::Collision { existing, .. } => {
                format!("a generated file would replace an existing {existing}")
            }
            WriteError::FileDirConflict { .. } => {
                "a generated path is both a file and a directory".into()
            }
            WriteError::DuplicatePath { .. } => "two generated files have the same path".into(),
            WriteError::ReservedPath { .. } => "a generated file uses a reserved name".into(),
            WriteError::UnsupportedPath { reason, .. } => {
                format!("unsupported generated path: {reason}")
            }
            WriteError::BadManifest { line, reason, .. } => {
                format!("unreadable manifest (line {line}): {reason}")
            }
            WriteError::Internal { reason, .. } => format!("internal error: {reason}"),
        }
    }
}

fn io_hint(action: &str, source: &io::Error) -> String {
    let errno = source.raw_os_error();
    if errno == Some(libc::EXDEV) {
        return "hard links and renames cannot cross file systems: the output directory must \
                not contain mount points and must be on the same file system as its parent"
            .into();
    }
    if errno == Some(libc::EPERM) && action.contains("link") {
        return "the file system refused a hard link (a file owned by another user while \
                fs.protected_hardlinks is on, or a file system without hard links); move the \
                file out of the output directory or fix its owner"
            .into();
    }
    match source.kind() {
        io::ErrorKind::PermissionDenied => "check that you own this path and that it and its \
             directory are writable; platc also needs write access to the output directory's \
             parent, where it builds the new tree"
            .into(),
        io::ErrorKind::ReadOnlyFilesystem => "the file system is mounted read-only".into(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            "free some disk space; platc needs room for the changed files next to the output \
             directory"
                .into()
        }
        io::ErrorKind::NotFound => "the path disappeared while platc was working; is another \
             program changing the output directory? Run platc again"
            .into(),
        _ => "check the path and run platc again; an interrupted run is cleaned up by the next one"
            .into(),
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (`{}`); hint: {}",
            self.message(),
            self.path().display(),
            self.hint()
        )
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriteError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
