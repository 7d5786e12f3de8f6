//! `write`: scan the old tree, plan, build the staging tree, swap, clean up.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use platc_tree::{FileTree, RelPath};

use crate::error::WriteError;
use crate::fsutil::{lstat, par_map, remove_tree, sync_dir, write_new_file, Work};
use crate::manifest::{self, OldManifest, MANIFEST_NAME};
use crate::sys;
use crate::target::{self, Target};

/// What [`write()`](crate::write()) did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Generated files that were new or whose bytes changed, in path order.
    pub written: Vec<RelPath>,
    /// Generated files whose bytes were already on disk (carried over with their inode and
    /// mtime).
    pub unchanged: usize,
    /// Files generated last time, no longer generated, and deleted now, in path order.
    pub deleted: Vec<RelPath>,
    /// Whether the output directory was replaced. `false` means nothing on disk was touched.
    pub swapped: bool,
    /// Things the user should know although the write succeeded (e.g. the old tree could not
    /// be deleted, or files created in the output directory during the write were kept aside).
    pub warnings: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Symlink,
}

/// One entry found below the output directory (never following symbolic links).
struct Entry {
    rel: PathBuf,
    kind: Kind,
    mode: u32,
    dev: u64,
    ino: u64,
    len: u64,
    has_children: bool,
}

/// Lists everything below `out` in pre-order, sorted by name.
fn scan(out: &Path, root_dev: u64) -> Result<Vec<Entry>, WriteError> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut index: HashMap<PathBuf, usize> = HashMap::new();
    let walk = walkdir::WalkDir::new(out)
        .follow_links(false)
        .min_depth(1)
        .sort_by_file_name();
    for item in walk {
        let item = item.map_err(|err| {
            let path = err.path().unwrap_or(out).to_path_buf();
            WriteError::io("read directory", path, io::Error::from(err))
        })?;
        let path = item.path();
        let meta = item
            .metadata()
            .map_err(|err| WriteError::io("inspect", path, io::Error::from(err)))?;
        let file_type = meta.file_type();
        let kind = if file_type.is_dir() {
            Kind::Dir
        } else if file_type.is_file() {
            Kind::File
        } else if file_type.is_symlink() {
            Kind::Symlink
        } else {
            return Err(WriteError::SpecialFile {
                path: path.to_path_buf(),
            });
        };
        if meta.dev() != root_dev {
            return Err(WriteError::UnusableOutDir {
                path: path.to_path_buf(),
                reason: "a mount point inside the output directory",
                hint: "platc carries user files into the new tree with hard links, which cannot \
                       cross file systems; move the mount point out of the output directory",
            });
        }
        let rel = path
            .strip_prefix(out)
            .map_err(|_| WriteError::Internal {
                path: path.to_path_buf(),
                reason: "directory walk left the output directory",
            })?
            .to_path_buf();
        if let Some(parent) = rel.parent() {
            if let Some(&i) = index.get(parent) {
                if let Some(parent_entry) = entries.get_mut(i) {
                    parent_entry.has_children = true;
                }
            }
        }
        index.insert(rel.clone(), entries.len());
        entries.push(Entry {
            rel,
            kind,
            mode: meta.permissions().mode() & 0o7777,
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            has_children: false,
        });
    }
    Ok(entries)
}

/// Proper ancestors of a relative path, innermost first, without the empty root.
fn ancestors(path: &Path) -> impl Iterator<Item = &Path> {
    path.ancestors()
        .skip(1)
        .take_while(|a| !a.as_os_str().is_empty())
}

/// What to do, decided before anything is written.
struct Plan<'t> {
    /// Per scanned entry (same order): carry it into the new tree?
    keep: Vec<bool>,
    /// New or changed generated files.
    fresh: Vec<(&'t RelPath, &'t [u8])>,
    unchanged: usize,
    /// Old generated files present on disk and no longer generated.
    stale: Vec<RelPath>,
    manifest_same: bool,
}

impl Plan<'_> {
    fn is_noop(&self) -> bool {
        self.fresh.is_empty() && self.stale.is_empty() && self.manifest_same
    }
}

fn plan<'t>(
    tree: &'t FileTree,
    out: &Path,
    entries: &[Entry],
    old: Option<&OldManifest>,
    new_manifest: &[u8],
) -> Result<Plan<'t>, WriteError> {
    let index: HashMap<&Path, &Entry> = entries.iter().map(|e| (e.rel.as_path(), e)).collect();
    // Files platc generated last time that are still regular files on disk. Anything else on
    // disk belongs to the user.
    let old_generated: HashSet<&Path> = old
        .map(|m| {
            m.paths
                .iter()
                .map(|p| Path::new(p.as_str()))
                .filter(|p| index.get(p).is_some_and(|e| e.kind == Kind::File))
                .collect()
        })
        .unwrap_or_default();

    let mut fresh = Vec::new();
    let mut candidates: Vec<(&RelPath, &[u8], &Entry)> = Vec::new();
    for (rel, bytes) in tree.iter() {
        let path = Path::new(rel.as_str());
        // Outermost first, so the error names the first obstacle on the way.
        let mut on_the_way: Vec<&Path> = ancestors(path).collect();
        on_the_way.reverse();
        for dir in on_the_way {
            match index.get(dir).map(|e| e.kind) {
                None | Some(Kind::Dir) => {}
                Some(Kind::Symlink) => {
                    return Err(WriteError::SymlinkInPath {
                        path: out.join(dir),
                    })
                }
                Some(Kind::File) if old_generated.contains(dir) => {}
                Some(Kind::File) => {
                    return Err(WriteError::Collision {
                        path: out.join(dir),
                        existing: "file",
                    })
                }
            }
        }
        match index.get(path) {
            None => fresh.push((rel, bytes)),
            Some(entry) => match entry.kind {
                Kind::File if old_generated.contains(path) => candidates.push((rel, bytes, entry)),
                Kind::File => {
                    return Err(WriteError::Collision {
                        path: out.join(path),
                        existing: "file",
                    })
                }
                Kind::Symlink => {
                    return Err(WriteError::Collision {
                        path: out.join(path),
                        existing: "symbolic link",
                    })
                }
                Kind::Dir => {
                    return Err(WriteError::Collision {
                        path: out.join(path),
                        existing: "directory",
                    })
                }
            },
        }
    }

    // Compare every byte of the files generated last time.
    let same = par_map(&candidates, Work::Cpu, out, |(rel, bytes, entry)| {
        if entry.len != bytes.len() as u64 {
            return Ok(false);
        }
        let path = out.join(rel.as_str());
        let old = fs::read(&path).map_err(|err| WriteError::io("read", path, err))?;
        Ok(old == *bytes)
    })?;
    let mut unchanged_paths: HashSet<&Path> = HashSet::new();
    for (&(rel, bytes, _), same) in candidates.iter().zip(same) {
        if same {
            unchanged_paths.insert(Path::new(rel.as_str()));
        } else {
            fresh.push((rel, bytes));
        }
    }
    fresh.sort_by(|a, b| a.0.cmp(b.0));

    let stale: Vec<RelPath> = old
        .map(|m| {
            m.paths
                .iter()
                .filter(|p| old_generated.contains(Path::new(p.as_str())) && tree.get(p).is_none())
                .cloned()
                .collect()
        })
        .unwrap_or_default();

    // Directories survive if something survives in them, or if they were empty already.
    // Directories emptied by deleting stale files go away with them.
    fn mark<'p>(needed: &mut HashSet<&'p Path>, path: &'p Path, with_self: bool) {
        if with_self && !needed.insert(path) {
            return;
        }
        // Every insertion adds the whole chain up to the root, so an ancestor already present
        // means all further ones are too.
        for dir in ancestors(path) {
            if !needed.insert(dir) {
                break;
            }
        }
    }
    let mut needed: HashSet<&Path> = HashSet::new();
    let mut keep = Vec::with_capacity(entries.len());
    for entry in entries {
        let path = entry.rel.as_path();
        let kept = match entry.kind {
            Kind::Dir => false, // decided below
            _ if path == Path::new(MANIFEST_NAME) => false,
            Kind::File if old_generated.contains(path) => unchanged_paths.contains(path),
            Kind::File | Kind::Symlink => true,
        };
        if kept {
            mark(&mut needed, path, false);
        }
        if entry.kind == Kind::Dir && !entry.has_children {
            mark(&mut needed, path, true);
        }
        keep.push(kept);
    }
    for (rel, _) in tree.iter() {
        mark(&mut needed, Path::new(rel.as_str()), false);
    }
    for (entry, kept) in entries.iter().zip(keep.iter_mut()) {
        if entry.kind == Kind::Dir {
            *kept = needed.contains(entry.rel.as_path());
        }
    }

    Ok(Plan {
        keep,
        fresh,
        unchanged: unchanged_paths.len(),
        stale,
        manifest_same: old.is_some_and(|m| m.bytes == new_manifest),
    })
}

/// Carries a user file or symlink into the staging tree as a hard link (same inode).
fn link_into(src: &Path, dst: &Path, kind: Kind) -> Result<(), WriteError> {
    match fs::hard_link(src, dst) {
        Ok(()) => Ok(()),
        // Symbolic links owned by others cannot be hard-linked under fs.protected_hardlinks:
        // recreate them (never following them).
        Err(err) if kind == Kind::Symlink && err.raw_os_error() == Some(libc::EPERM) => {
            let target =
                fs::read_link(src).map_err(|err| WriteError::io("read symbolic link", src, err))?;
            std::os::unix::fs::symlink(target, dst)
                .map_err(|err| WriteError::io("create symbolic link", dst, err))
        }
        Err(err) => Err(WriteError::io("hard-link into the new tree", src, err)),
    }
}

fn create_dir(path: &Path) -> Result<(), WriteError> {
    fs::create_dir(path)
        .and_then(|()| fs::set_permissions(path, fs::Permissions::from_mode(0o700)))
        .map_err(|err| WriteError::io("create directory", path, err))
}

/// Builds the complete new output directory at `target.staging`.
fn build_staging(
    target: &Target,
    tree_entries: &[Entry],
    plan: &Plan<'_>,
    new_manifest: &[u8],
    root_mode: u32,
) -> Result<(), WriteError> {
    let staging = &target.staging;
    fs::create_dir(staging)
        .and_then(|()| fs::set_permissions(staging, fs::Permissions::from_mode(0o700)))
        .map_err(|err| WriteError::io("create the staging directory", staging, err))?;

    // Directories keep a writable mode while being filled; final modes are set at the end.
    let mut dirs: Vec<(PathBuf, u32)> = Vec::new();
    let mut created: HashSet<PathBuf> = HashSet::new();
    for (entry, keep) in tree_entries.iter().zip(&plan.keep) {
        if !keep {
            continue;
        }
        let dst = staging.join(&entry.rel);
        match entry.kind {
            Kind::Dir => {
                create_dir(&dst)?;
                dirs.push((entry.rel.clone(), entry.mode));
                created.insert(entry.rel.clone());
            }
            Kind::File | Kind::Symlink => {
                link_into(&target.out.join(&entry.rel), &dst, entry.kind)?;
            }
        }
    }
    for (rel, _) in &plan.fresh {
        let mut missing: Vec<&Path> = ancestors(Path::new(rel.as_str()))
            .take_while(|dir| !created.contains(*dir))
            .collect();
        missing.reverse();
        for dir in missing {
            create_dir(&staging.join(dir))?;
            dirs.push((dir.to_path_buf(), 0o755));
            created.insert(dir.to_path_buf());
        }
    }
    par_map(&plan.fresh, Work::Sync, staging, |(rel, bytes)| {
        write_new_file(&staging.join(rel.as_str()), bytes)
    })?;
    write_new_file(&staging.join(MANIFEST_NAME), new_manifest)?;

    // Make every directory entry durable before the swap publishes the tree.
    par_map(&dirs, Work::Sync, staging, |(rel, _)| {
        sync_dir(&staging.join(rel))
    })?;
    // Deepest first, so that no directory loses its search permission before its children
    // are done.
    dirs.sort_by_key(|(rel, _)| std::cmp::Reverse(rel.components().count()));
    for (rel, mode) in &dirs {
        let path = staging.join(rel);
        fs::set_permissions(&path, fs::Permissions::from_mode(*mode))
            .map_err(|err| WriteError::io("set permissions of", path, err))?;
    }
    sync_dir(staging)?;
    fs::set_permissions(staging, fs::Permissions::from_mode(root_mode))
        .map_err(|err| WriteError::io("set permissions of", staging, err))
}

/// Publishes the staging tree. Returns where the old tree is now, if there was one.
fn swap(target: &Target, out_existed: bool) -> Result<Option<PathBuf>, WriteError> {
    if !out_existed {
        fs::rename(&target.staging, &target.out)
            .map_err(|err| WriteError::io("move the new tree into place at", &target.out, err))?;
        return Ok(None);
    }
    match sys::exchange(&target.staging, &target.out) {
        Ok(()) => Ok(Some(target.staging.clone())),
        Err(err) if sys::exchange_unsupported(&err) => fallback_swap(target).map(Some),
        Err(err) => Err(WriteError::io(
            "exchange the new tree with",
            &target.out,
            err,
        )),
    }
}

/// Two renames, for systems without an atomic exchange. A kill between them leaves the
/// output directory missing and the old tree at `target.aside`; [`target::recover`] moves it
/// back at the next start.
pub(crate) fn fallback_swap(target: &Target) -> Result<PathBuf, WriteError> {
    fs::rename(&target.out, &target.aside)
        .map_err(|err| WriteError::io("move the old tree aside from", &target.out, err))?;
    if let Err(err) = fs::rename(&target.staging, &target.out) {
        let error = WriteError::io("move the new tree into place at", &target.out, err);
        return match fs::rename(&target.aside, &target.out) {
            Ok(()) => Err(error),
            Err(restore) => Err(WriteError::io(
                "move the previous output directory back (it is intact; the next platc run \
                 moves it back) from",
                &target.aside,
                restore,
            )),
        };
    }
    Ok(target.aside.clone())
}

/// Deletes the old tree after the swap. Files that appeared or were replaced in the output
/// directory while the new tree was being built (so are in the old tree only) are moved into
/// the new tree when their place there is free or holds the version they replaced; if any
/// cannot be placed, the old tree is kept under a `.platc-kept-*` name instead of deleted.
fn cleanup(
    target: &Target,
    old_root: &Path,
    entries: &[Entry],
    generated: &HashSet<&Path>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let expected: HashMap<&Path, (u64, u64)> = entries
        .iter()
        .filter(|e| e.kind != Kind::Dir)
        .map(|e| (e.rel.as_path(), (e.dev, e.ino)))
        .collect();
    let mut kept = Vec::new();
    let walk = walkdir::WalkDir::new(old_root)
        .follow_links(false)
        .min_depth(1)
        .sort_by_file_name();
    let mut unexpected = Vec::new();
    for item in walk {
        let Ok(item) = item else {
            // Unreadable: removal below reports it.
            continue;
        };
        let Ok(rel) = item.path().strip_prefix(old_root) else {
            continue;
        };
        let Ok(meta) = item.metadata() else { continue };
        if meta.file_type().is_dir() || generated.contains(rel) || rel == Path::new(MANIFEST_NAME) {
            continue;
        }
        if expected.get(rel) != Some(&(meta.dev(), meta.ino())) {
            unexpected.push(rel.to_path_buf());
        }
    }
    for rel in unexpected {
        let expected_here = expected.get(rel.as_path()).copied();
        match rescue(old_root, &target.out, &rel, expected_here) {
            Ok(false) => {}
            Ok(true) => warnings.push(format!(
                "`{}` changed while platc was writing; kept the newer version",
                target.out.join(&rel).display()
            )),
            Err(_) => kept.push(rel),
        }
    }
    if kept.is_empty() {
        if let Err(err) = remove_tree(old_root) {
            warnings.push(format!(
                "could not delete the old tree: {err}; the next platc run deletes it"
            ));
        }
        return warnings;
    }
    let kept_dir = target.kept();
    let list: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
    match fs::rename(old_root, &kept_dir) {
        Ok(()) => warnings.push(format!(
            "files changed in the output directory while platc was writing could not be \
             placed in the new tree; the old tree with them is kept at `{}`: {}",
            kept_dir.display(),
            list.join(", ")
        )),
        Err(err) => warnings.push(format!(
            "files changed while platc was writing are only in `{}` ({err}); copy them out \
             before the next platc run deletes it: {}",
            old_root.display(),
            list.join(", ")
        )),
    }
    warnings
}

/// Moves `old_root/rel` to `out/rel` if that place is free or still holds `replaces`.
/// `Ok(false)`: the new tree already has this very file (it was replaced before being linked).
fn rescue(
    old_root: &Path,
    out: &Path,
    rel: &Path,
    replaces: Option<(u64, u64)>,
) -> io::Result<bool> {
    let refuse = || Err(io::Error::other("no place in the new tree"));
    let src = old_root.join(rel);
    let src_meta = fs::symlink_metadata(&src)?;
    let mut dirs: Vec<&Path> = ancestors(rel).collect();
    dirs.reverse();
    for dir in dirs {
        let path = out.join(dir);
        match lstat(&path)? {
            Some(meta) if meta.file_type().is_dir() => {}
            Some(_) => return refuse(),
            None => fs::create_dir(&path)?,
        }
    }
    let dst = out.join(rel);
    match lstat(&dst)? {
        None => {}
        Some(meta) if (meta.dev(), meta.ino()) == (src_meta.dev(), src_meta.ino()) => {
            return Ok(false)
        }
        Some(meta) if Some((meta.dev(), meta.ino())) == replaces => {}
        Some(_) => return refuse(),
    }
    let moved = match fs::rename(&src, &dst) {
        Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
            // A read-only directory of the old tree: it is about to be deleted anyway.
            if let Some(parent) = src.parent() {
                let mode = fs::symlink_metadata(parent)?.permissions().mode() | 0o700;
                fs::set_permissions(parent, fs::Permissions::from_mode(mode & 0o7777))?;
            }
            fs::rename(&src, &dst)
        }
        other => other,
    };
    moved.map(|()| true)
}

/// See [`crate::write`].
pub(crate) fn write(tree: &FileTree, out_dir: &Path) -> Result<WriteReport, WriteError> {
    let target = target::resolve(out_dir)?;
    manifest::validate_tree(tree, &target.out)?;
    let _lock = target::lock(&target)?;
    target::recover(&target)?;
    let out_meta = target::inspect(&target)?;
    if let Some(meta) = &out_meta {
        target::check_replaceable(&target, meta)?;
    }
    let new_manifest = manifest::render(tree);
    let (entries, old_manifest) = match &out_meta {
        Some(meta) => (scan(&target.out, meta.dev())?, manifest::read(&target.out)?),
        None => (Vec::new(), None),
    };
    let plan = plan(
        tree,
        &target.out,
        &entries,
        old_manifest.as_ref(),
        &new_manifest,
    )?;
    let mut report = WriteReport {
        written: plan.fresh.iter().map(|(rel, _)| (*rel).clone()).collect(),
        unchanged: plan.unchanged,
        deleted: plan.stale.clone(),
        swapped: false,
        warnings: Vec::new(),
    };
    if out_meta.is_some() && plan.is_noop() {
        return Ok(report);
    }

    let root_mode = out_meta
        .as_ref()
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o755);
    if let Err(err) = build_staging(&target, &entries, &plan, &new_manifest, root_mode) {
        // Best effort: the next run removes it anyway.
        let _ = remove_tree(&target.staging);
        return Err(err);
    }
    let old_root = match swap(&target, out_meta.is_some()) {
        Ok(old_root) => old_root,
        Err(err) => {
            let _ = remove_tree(&target.staging);
            return Err(err);
        }
    };
    report.swapped = true;
    if let Err(err) = sync_dir(&target.parent) {
        report.warnings.push(format!(
            "the new tree is in place but could not be made durable: {err}"
        ));
    }
    if let Some(old_root) = old_root {
        let mut generated: HashSet<&Path> = tree
            .iter()
            .map(|(rel, _)| Path::new(rel.as_str()))
            .collect();
        if let Some(old) = &old_manifest {
            generated.extend(old.paths.iter().map(|rel| Path::new(rel.as_str())));
        }
        report
            .warnings
            .extend(cleanup(&target, &old_root, &entries, &generated));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_swap_and_recovery() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("a"), "old").unwrap();
        let target = target::resolve(&out).unwrap();
        fs::create_dir(&target.staging).unwrap();
        fs::write(target.staging.join("a"), "new").unwrap();

        // Killed between the two renames: the old tree is aside, the output is missing.
        fs::rename(&target.out, &target.aside).unwrap();
        target::recover(&target).unwrap();
        assert_eq!(fs::read_to_string(out.join("a")).unwrap(), "old");
        assert!(!target.staging.exists() && !target.aside.exists());

        // A complete fallback swap.
        fs::create_dir(&target.staging).unwrap();
        fs::write(target.staging.join("a"), "new").unwrap();
        let old = fallback_swap(&target).unwrap();
        assert_eq!(fs::read_to_string(out.join("a")).unwrap(), "new");
        assert_eq!(fs::read_to_string(old.join("a")).unwrap(), "old");
        // The next start deletes the leftover old tree and keeps the new one.
        target::recover(&target).unwrap();
        assert_eq!(fs::read_to_string(out.join("a")).unwrap(), "new");
        assert!(!target.aside.exists());
    }

    #[test]
    fn exchange_swaps_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(a.join("x"), "in a").unwrap();
        match sys::exchange(&a, &b) {
            Ok(()) => assert_eq!(fs::read_to_string(b.join("x")).unwrap(), "in a"),
            Err(err) => assert!(sys::exchange_unsupported(&err), "{err}"),
        }
    }

    #[test]
    fn rescue_moves_concurrent_files_into_the_new_tree() {
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join("old");
        let new = tmp.path().join("new");
        fs::create_dir_all(old.join("d")).unwrap();
        fs::create_dir(&new).unwrap();
        fs::write(old.join("d/late.txt"), "late").unwrap();
        assert!(rescue(&old, &new, Path::new("d/late.txt"), None).unwrap());
        assert_eq!(fs::read_to_string(new.join("d/late.txt")).unwrap(), "late");

        // Already carried over (same inode): nothing to do.
        fs::write(old.join("same"), "same").unwrap();
        fs::hard_link(old.join("same"), new.join("same")).unwrap();
        assert!(!rescue(&old, &new, Path::new("same"), None).unwrap());

        // A place taken by something else is refused.
        fs::write(old.join("x"), "old").unwrap();
        fs::write(new.join("x"), "other").unwrap();
        assert!(rescue(&old, &new, Path::new("x"), None).is_err());
        assert_eq!(fs::read_to_string(new.join("x")).unwrap(), "other");
        // ... unless it holds the version the user replaced.
        let meta = fs::metadata(new.join("x")).unwrap();
        assert!(rescue(&old, &new, Path::new("x"), Some((meta.dev(), meta.ino()))).unwrap());
        assert_eq!(fs::read_to_string(new.join("x")).unwrap(), "old");
    }
}
