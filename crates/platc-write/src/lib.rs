//! Puts a rendered [`FileTree`] on disk — the only code of platc that touches the output
//! directory — and compares a tree with what is on disk (`platc check` / `platc diff`).
//!
//! platc typically runs as a pre-commit hook inside an infrastructure repository whose output
//! directory also holds files the user wrote. This crate must never lose or corrupt them.
//!
//! # Design
//!
//! * **Manifest.** `<out>/.platc-manifest` lists every file platc generated there last time: a
//!   header comment line, then one path per line in byte order. A regular file at a listed
//!   path is *generated*; everything else in the output directory (files, symbolic links,
//!   directories not listed) belongs to the *user* and is never modified, replaced or deleted.
//!   The manifest path is reserved: a tree containing it is rejected.
//! * **Staging tree.** [`write()`] builds a complete copy of the new output directory as the
//!   sibling `<parent>/.<name>.platc-staging` (same file system):
//!   - every user file and symbolic link is carried over as a **hard link** (same inode: same
//!     contents, permissions, owner, mtime; symbolic links are linked, never followed, and
//!     only recreated from their target text where the kernel refuses to link them);
//!   - directories are recreated with their permission bits (ownership, ACLs and extended
//!     attributes of *directories* are not copied);
//!   - generated files whose bytes are unchanged are hard-linked from the old tree, so their
//!     inode and mtime stay the same; new and changed ones are written fresh with mode 0644
//!     and fsynced; generated files no longer generated are simply not carried over, and
//!     directories left empty by that disappear with them;
//!   - the new manifest is written, and every directory of the staging tree is fsynced.
//! * **Swap.** On Linux, `renameat2(RENAME_EXCHANGE)` exchanges the staging directory and the
//!   output directory in one atomic step (a plain `rename` when the output directory does not
//!   exist yet); then the parent is fsynced and the staging path — now the old tree — is
//!   deleted. Elsewhere, or on file systems without the exchange, the output directory is
//!   renamed to `<parent>/.<name>.platc-old` and the staging directory renamed into place; a run
//!   killed between the two renames is repaired at the next start by moving the old tree back.
//! * **In parts.** [`Writer`] is the same protocol for a tree handed over in parts (platc hands
//!   over each app's files as soon as they are rendered, so the whole tree is never in memory):
//!   [`Writer::begin`] takes the lock, recovers and scans the old tree; each [`Writer::add`]
//!   checks its paths (collisions, duplicates, file/directory conflicts with everything added
//!   before) and hands the files to I/O threads that compare each with the old file, byte for
//!   byte, and write new and changed ones into the staging directory (created with the first
//!   such file); [`Writer::finish`] links the unchanged and user files, writes the manifest and
//!   swaps. [`write()`] is `begin`, one `add`, `finish`. [`Comparer`] does the same for
//!   [`compare()`].
//! * **Nothing to do.** If every generated file is byte-identical, nothing is stale and the
//!   manifest is identical, [`write()`] touches nothing at all (no rename, no mtime or ctime
//!   change) and reports `swapped: false`.
//! * **Lock and recovery.** A write holds an exclusive `flock` on the parent directory (a second
//!   concurrent platc waits up to 30 s, then fails with [`WriteError::Locked`]). Under the lock
//!   it first removes leftover `.<name>.platc-staging` / `.<name>.platc-old` directories of a
//!   killed run: they are never the live tree.
//!
//! # Guarantees
//!
//! * **Atomic for the whole tree** (Linux, or any system at the next start after recovery): if
//!   the process is killed at any instant, the output directory holds either the complete
//!   previous tree or the complete new tree, never a mix, and the next run succeeds. After a
//!   power loss the same holds, as far as the file system honours fsync.
//! * **User files are never touched**: they are hard-linked, so they keep their inode and
//!   bytes. Their *ctime* changes whenever a swap happens (link count changes), which makes
//!   `git status` re-hash them once; their mtime does not change.
//! * **Nothing is written outside the output directory** except the sibling work directories
//!   named above (and `.<name>.platc-kept-<time>`, see below).
//! * **Errors change nothing.** Every check (collisions with user files or directories, a
//!   symbolic link on the way to a generated file, special files, an unreadable manifest,
//!   unusable output directory, missing permissions, file/directory conflicts in the tree)
//!   happens before the swap — for a [`Writer`], those of a part when it is added, so files of
//!   earlier parts may already be in the staging directory — and any failure (or a `Writer`
//!   dropped without `finish`) only removes the staging directory. The output directory itself
//!   is only ever changed by the swap.
//! * **No symbolic link is followed** inside the output directory. A symbolically linked output
//!   directory is rejected ([`WriteError::OutDirIsSymlink`]); symbolic links in its *parent*
//!   path are resolved once, at the start.
//!
//! # What the swap means for open handles
//!
//! The swap replaces the output directory's inode and the inodes of all directories below it.
//! A process whose current directory (or an open directory handle) is inside the output
//! directory keeps pointing into the *old* tree, which is deleted right after the swap: its
//! shell shows an empty, deleted directory until it `cd`s again. Therefore [`write()`] refuses
//! to run when its own current directory is inside the output directory, and refuses an output
//! directory that is a git repository root (a running `git commit` calling the pre-commit hook
//! would otherwise keep writing into the deleted old tree). Open *files* are not affected: user
//! files keep their inodes, so a program appending to one keeps writing to the live file.
//!
//! Files the user creates or replaces in the output directory *while* a write builds the
//! staging tree exist only in the old tree at swap time. The cleanup detects them (unknown
//! path or inode) and moves them into the new tree when their place there is free or still
//! holds the version they replaced; if one cannot be placed, the old tree is not deleted but
//! renamed to `<parent>/.<name>.platc-kept-<unix time>` and a warning says so. Edits to
//! generated files during a write are overwritten, as they would be by the write anyway.
//!
//! # Limits
//!
//! Unix only. The output directory must not be a mount point nor contain one (hard links and
//! renames cannot cross file systems), and its parent must be writable. Generated paths must
//! not contain line breaks (the manifest is line-based).

#[cfg(not(unix))]
compile_error!("platc-write supports Unix systems only");

mod drift;
mod error;
mod fsutil;
mod manifest;
mod sys;
mod target;
mod write;

use std::path::Path;

use platc_tree::FileTree;

pub use drift::{ChangedFile, Comparer, Drift, ManifestDrift, MissingFile, StaleFile};
pub use error::WriteError;
pub use manifest::MANIFEST_NAME;
pub use write::{WriteReport, Writer};

/// Makes `out_dir` hold exactly `tree` plus the user's own files, atomically.
///
/// See the [crate documentation](crate) for the design and the guarantees. `out_dir` may be
/// relative; its parent must exist. Returns what changed; if nothing would change, nothing on
/// disk is touched and [`WriteReport::swapped`] is `false`.
pub fn write(tree: &FileTree, out_dir: &Path) -> Result<WriteReport, WriteError> {
    write::write(tree, out_dir)
}

/// Compares `tree` with what is on disk in `out_dir`, reading every byte (no mtime or size
/// shortcut), without changing anything.
///
/// Fails where [`write()`] would fail because of what is on disk (a user file or directory at a
/// generated path, a symbolic link on the way, an unreadable manifest), so that `platc check`
/// does not pass a tree that cannot be written.
pub fn compare(tree: &FileTree, out_dir: &Path) -> Result<Drift, WriteError> {
    drift::compare(tree, out_dir)
}
