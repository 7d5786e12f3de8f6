//! `write`: scan the old tree, plan, build the staging tree, swap, clean up.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};

use platc_tree::{FileTree, RelPath};

use crate::error::WriteError;
use crate::fsutil::{
    io_threads, lstat, par_map, remove_tree, same_contents, sync_dir, write_new_file, ModeFix,
};
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
fn scan(out: &Path, root_dev: u64) -> Result<(Vec<Entry>, HashMap<PathBuf, usize>), WriteError> {
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
    Ok((entries, index))
}

/// Proper ancestors of a relative path, innermost first, without the empty root.
fn ancestors(path: &Path) -> impl Iterator<Item = &Path> {
    path.ancestors()
        .skip(1)
        .take_while(|a| !a.as_os_str().is_empty())
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
    let mut writer = Writer::begin(out_dir)?;
    writer.add(tree.clone())?;
    writer.finish()
}

/// Files handed to the I/O workers at once (fewer hand-overs between threads).
const BATCH_FILES: usize = 32;
const BATCH_BYTES: usize = 256 * 1024;

/// One generated file for an I/O worker: compare it with the old file (if there is one of the
/// same length), and write it into the staging tree unless it is unchanged.
struct Job {
    rel: RelPath,
    bytes: Vec<u8>,
    /// Length of the old generated file at this path, if there is one.
    old_len: Option<u64>,
}

/// State shared between a [`Writer`] and its I/O workers.
struct Shared {
    out: PathBuf,
    staging: PathBuf,
    /// Directories created in the staging tree so far (the root: the empty path).
    created: Mutex<HashSet<PathBuf>>,
    /// Generated files whose bytes were already on disk.
    unchanged: Mutex<Vec<RelPath>>,
    /// Generated files written into the staging tree.
    written: Mutex<Vec<RelPath>>,
    /// The first error of a worker; once set, workers skip their remaining jobs.
    error: Mutex<Option<WriteError>>,
    failed: AtomicBool,
    /// Whether new files need a `chmod` to get mode 0644.
    mode_fix: ModeFix,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A worker that panicked while holding a lock leaves plain data behind; the panic itself
    // is reported when the worker is joined.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    fn run(&self, job: Job) -> Result<(), WriteError> {
        if job.old_len == Some(job.bytes.len() as u64) {
            let path = self.out.join(job.rel.as_str());
            let same = fs::File::open(&path)
                .and_then(|mut file| same_contents(&mut file, &job.bytes))
                .map_err(|err| WriteError::io("read", &path, err))?;
            if same {
                lock(&self.unchanged).push(job.rel);
                return Ok(());
            }
        }
        self.create_parents(Path::new(job.rel.as_str()))?;
        write_new_file(
            &self.staging.join(job.rel.as_str()),
            &job.bytes,
            &self.mode_fix,
        )?;
        lock(&self.written).push(job.rel);
        Ok(())
    }

    /// Creates the staging directory (first time) and the directories on the way to `rel`.
    fn create_parents(&self, rel: &Path) -> Result<(), WriteError> {
        let mut created = lock(&self.created);
        if created.is_empty() {
            fs::create_dir(&self.staging)
                .and_then(|()| {
                    fs::set_permissions(&self.staging, fs::Permissions::from_mode(0o700))
                })
                .map_err(|err| {
                    WriteError::io("create the staging directory", &self.staging, err)
                })?;
            created.insert(PathBuf::new());
        }
        let Some(parent) = rel.parent() else {
            return Ok(());
        };
        if created.contains(parent) {
            return Ok(());
        }
        let mut missing: Vec<&Path> = ancestors(rel)
            .take_while(|dir| !created.contains(*dir))
            .collect();
        missing.reverse();
        for dir in missing {
            create_dir(&self.staging.join(dir))?;
            created.insert(dir.to_path_buf());
        }
        Ok(())
    }

    fn fail(&self, err: WriteError) {
        let mut first = lock(&self.error);
        if first.is_none() {
            *first = Some(err);
        }
        self.failed.store(true, Ordering::SeqCst);
    }
}

/// Threads that compare and write generated files while the caller renders the next ones.
struct Pool {
    sender: Option<SyncSender<Vec<Job>>>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Pool {
    fn start(shared: &Arc<Shared>, threads: usize) -> Pool {
        let (sender, receiver) = sync_channel::<Vec<Job>>(threads * 2);
        let receiver = Arc::new(Mutex::new(receiver));
        let workers = (0..threads)
            .map(|_| {
                let shared = Arc::clone(shared);
                let receiver = Arc::clone(&receiver);
                std::thread::spawn(move || loop {
                    let batch = match lock(&receiver).recv() {
                        Ok(batch) => batch,
                        Err(_) => return,
                    };
                    for job in batch {
                        if shared.failed.load(Ordering::SeqCst) {
                            break;
                        }
                        if let Err(err) = shared.run(job) {
                            shared.fail(err);
                        }
                    }
                })
            })
            .collect();
        Pool {
            sender: Some(sender),
            workers,
        }
    }

    fn send(&self, batch: Vec<Job>) {
        if let Some(sender) = &self.sender {
            // Fails only when every worker is gone, which `join` reports.
            let _ = sender.send(batch);
        }
    }

    /// Waits for every job; `false` if a worker panicked.
    fn join(&mut self) -> bool {
        self.sender = None;
        let mut ok = true;
        for worker in self.workers.drain(..) {
            ok &= worker.join().is_ok();
        }
        ok
    }
}

/// A write in progress: [`write()`](crate::write()) for a tree handed over in parts, so that
/// the whole tree never has to be in memory at once.
///
/// [`Writer::begin`] takes the lock, recovers from a killed run and reads the old tree's
/// listing and manifest; every [`Writer::add`] checks its files against the old tree and the
/// files added before (collisions, file/directory conflicts, duplicates) and hands them to
/// I/O threads, which compare each with the old file and write the new and changed ones into
/// the staging directory (created with the first such file); [`Writer::finish`] links the
/// unchanged and the user's files into the staging tree, writes the manifest, swaps and cleans
/// up, exactly as `write` does. Nothing in the output directory changes before the swap in
/// `finish`; a writer dropped without `finish` (or an error anywhere) removes the staging
/// directory. If nothing changed, no staging directory is ever created.
pub struct Writer {
    target: Target,
    _lock: target::Lock,
    out_meta: Option<fs::Metadata>,
    entries: Vec<Entry>,
    index: HashMap<PathBuf, usize>,
    old_manifest: Option<OldManifest>,
    /// Files platc generated last time that are still regular files on disk.
    old_generated: HashSet<PathBuf>,
    /// Every path added so far.
    paths: BTreeSet<RelPath>,
    /// Every proper ancestor directory of an added path.
    dirs: HashSet<PathBuf>,
    shared: Arc<Shared>,
    pool: Pool,
    batch: Vec<Job>,
    batch_bytes: usize,
    finished: bool,
    /// An `add` failed: part of its tree may be missing, so `finish` must not swap.
    poisoned: bool,
}

impl Writer {
    /// Starts a write into `out_dir` (see [`write()`](crate::write())).
    pub fn begin(out_dir: &Path) -> Result<Writer, WriteError> {
        let target = target::resolve(out_dir)?;
        let lock = target::lock(&target)?;
        target::recover(&target)?;
        let out_meta = target::inspect(&target)?;
        if let Some(meta) = &out_meta {
            target::check_replaceable(&target, meta)?;
        }
        let ((entries, index), old_manifest) = match &out_meta {
            Some(meta) => (scan(&target.out, meta.dev())?, manifest::read(&target.out)?),
            None => ((Vec::new(), HashMap::new()), None),
        };
        let old_generated: HashSet<PathBuf> = old_manifest
            .as_ref()
            .map(|m| {
                m.paths
                    .iter()
                    .map(|p| PathBuf::from(p.as_str()))
                    .filter(|p| {
                        index
                            .get(p)
                            .and_then(|&i| entries.get(i))
                            .is_some_and(|e| e.kind == Kind::File)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let shared = Arc::new(Shared {
            out: target.out.clone(),
            staging: target.staging.clone(),
            created: Mutex::new(HashSet::new()),
            unchanged: Mutex::new(Vec::new()),
            written: Mutex::new(Vec::new()),
            error: Mutex::new(None),
            failed: AtomicBool::new(false),
            mode_fix: ModeFix::default(),
        });
        let pool = Pool::start(&shared, io_threads());
        Ok(Writer {
            target,
            _lock: lock,
            out_meta,
            entries,
            index,
            old_manifest,
            old_generated,
            paths: BTreeSet::new(),
            dirs: HashSet::new(),
            shared,
            pool,
            batch: Vec::new(),
            batch_bytes: 0,
            finished: false,
            poisoned: false,
        })
    }

    fn entry(&self, rel: &Path) -> Option<&Entry> {
        self.index.get(rel).and_then(|&i| self.entries.get(i))
    }

    /// Adds generated files. Fails (and the write with it) on a path that cannot be written:
    /// taken by a user's file, directory or symbolic link, a symbolic link on the way, a path
    /// added before, or a path that is also the directory of another added path.
    pub fn add(&mut self, tree: FileTree) -> Result<(), WriteError> {
        let added = self.add_files(tree);
        self.poisoned |= added.is_err();
        added
    }

    fn add_files(&mut self, tree: FileTree) -> Result<(), WriteError> {
        if let Some(err) = lock(&self.shared.error).take() {
            return Err(err);
        }
        manifest::validate_tree(&tree, &self.target.out)?;
        for (rel, bytes) in tree {
            let old_len = self.check(&rel)?;
            self.batch_bytes += bytes.len();
            self.batch.push(Job {
                rel,
                bytes,
                old_len,
            });
            if self.batch.len() >= BATCH_FILES || self.batch_bytes >= BATCH_BYTES {
                self.flush();
            }
        }
        Ok(())
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            self.pool.send(std::mem::take(&mut self.batch));
            self.batch_bytes = 0;
        }
    }

    /// Checks one new path; returns the length of the old generated file there, if any.
    fn check(&mut self, rel: &RelPath) -> Result<Option<u64>, WriteError> {
        let out = &self.target.out;
        let path = Path::new(rel.as_str());
        if self.dirs.contains(path) {
            return Err(WriteError::FileDirConflict {
                path: out.join(path),
            });
        }
        if self.paths.contains(rel) {
            return Err(WriteError::DuplicatePath {
                path: out.join(path),
            });
        }
        // Outermost first, so the error names the first obstacle on the way. Directories seen
        // before were checked then.
        let mut on_the_way: Vec<&Path> = ancestors(path)
            .take_while(|dir| !self.dirs.contains(*dir))
            .collect();
        on_the_way.reverse();
        for dir in &on_the_way {
            if let Some(file) = dir.to_str().and_then(|d| RelPath::new(d).ok()) {
                if self.paths.contains(&file) {
                    return Err(WriteError::FileDirConflict {
                        path: out.join(dir),
                    });
                }
            }
            match self.entry(dir).map(|e| e.kind) {
                None | Some(Kind::Dir) => {}
                Some(Kind::Symlink) => {
                    return Err(WriteError::SymlinkInPath {
                        path: out.join(dir),
                    })
                }
                Some(Kind::File) if self.old_generated.contains(*dir) => {}
                Some(Kind::File) => {
                    return Err(WriteError::Collision {
                        path: out.join(dir),
                        existing: "file",
                    })
                }
            }
        }
        let old_len = match self.entry(path) {
            None => None,
            Some(entry) => match entry.kind {
                Kind::File if self.old_generated.contains(path) => Some(entry.len),
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
        };
        for dir in on_the_way {
            self.dirs.insert(dir.to_path_buf());
        }
        self.paths.insert(rel.clone());
        Ok(old_len)
    }

    /// Waits for the I/O threads; then, unless nothing changed, completes the staging tree
    /// and swaps it in (see [`write()`](crate::write())).
    pub fn finish(mut self) -> Result<WriteReport, WriteError> {
        self.flush();
        let joined = self.pool.join();
        if let Some(err) = lock(&self.shared.error).take() {
            return Err(err);
        }
        if self.poisoned {
            // Its error went to the caller of `add`; a swap now would lose the files it did
            // not get to, and delete their old copies as stale.
            return Err(WriteError::Internal {
                path: self.target.out.clone(),
                reason: "finish after a failed add",
            });
        }
        if !joined {
            return Err(WriteError::Internal {
                path: self.target.out.clone(),
                reason: "a worker thread panicked",
            });
        }
        let new_manifest = manifest::render_paths(self.paths.iter());
        let mut written = std::mem::take(&mut *lock(&self.shared.written));
        written.sort();
        let unchanged: HashSet<PathBuf> = lock(&self.shared.unchanged)
            .iter()
            .map(|rel| PathBuf::from(rel.as_str()))
            .collect();
        let stale: Vec<RelPath> = self
            .old_manifest
            .as_ref()
            .map(|m| {
                m.paths
                    .iter()
                    .filter(|p| {
                        self.old_generated.contains(Path::new(p.as_str()))
                            && !self.paths.contains(*p)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let manifest_same = self
            .old_manifest
            .as_ref()
            .is_some_and(|m| m.bytes == new_manifest);
        let mut report = WriteReport {
            written,
            unchanged: unchanged.len(),
            deleted: stale,
            swapped: false,
            warnings: Vec::new(),
        };
        if self.out_meta.is_some()
            && report.written.is_empty()
            && report.deleted.is_empty()
            && manifest_same
        {
            self.finished = true;
            return Ok(report);
        }

        let root_mode = self
            .out_meta
            .as_ref()
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o755);
        let keep = self.keep(&unchanged);
        self.complete_staging(&keep, &new_manifest, root_mode)?;
        let old_root = swap(&self.target, self.out_meta.is_some())?;
        // The staging path now holds the old tree (or nothing): not ours to remove on drop.
        self.finished = true;
        report.swapped = true;
        if let Err(err) = sync_dir(&self.target.parent) {
            report.warnings.push(format!(
                "the new tree is in place but could not be made durable: {err}"
            ));
        }
        if let Some(old_root) = old_root {
            let mut generated: HashSet<&Path> = self
                .paths
                .iter()
                .map(|rel| Path::new(rel.as_str()))
                .collect();
            if let Some(old) = &self.old_manifest {
                generated.extend(old.paths.iter().map(|rel| Path::new(rel.as_str())));
            }
            report
                .warnings
                .extend(cleanup(&self.target, &old_root, &self.entries, &generated));
        }
        Ok(report)
    }

    /// Per scanned entry (same order): carry it into the new tree? User files and symbolic
    /// links, unchanged generated files, and directories that still hold something (or were
    /// empty already). Directories emptied by deleting stale files go away with them.
    fn keep(&self, unchanged: &HashSet<PathBuf>) -> Vec<bool> {
        fn mark<'p>(needed: &mut HashSet<&'p Path>, path: &'p Path, with_self: bool) {
            if with_self && !needed.insert(path) {
                return;
            }
            // Every insertion adds the whole chain up to the root, so an ancestor already
            // present means all further ones are too.
            for dir in ancestors(path) {
                if !needed.insert(dir) {
                    break;
                }
            }
        }
        let mut needed: HashSet<&Path> = HashSet::new();
        let mut keep = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            let path = entry.rel.as_path();
            let kept = match entry.kind {
                Kind::Dir => false, // decided below
                _ if path == Path::new(MANIFEST_NAME) => false,
                Kind::File if self.old_generated.contains(path) => unchanged.contains(path),
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
        for dir in &self.dirs {
            needed.insert(dir.as_path());
        }
        for (entry, kept) in self.entries.iter().zip(keep.iter_mut()) {
            if entry.kind == Kind::Dir {
                *kept = needed.contains(entry.rel.as_path());
            }
        }
        keep
    }

    /// Adds what the I/O threads did not write to the staging tree: the kept entries of the
    /// old tree (hard links), directories, the manifest; makes it durable and sets the final
    /// directory modes.
    fn complete_staging(
        &self,
        keep: &[bool],
        new_manifest: &[u8],
        root_mode: u32,
    ) -> Result<(), WriteError> {
        let staging = &self.target.staging;
        // The root, if no file was written.
        self.shared.create_parents(Path::new(MANIFEST_NAME))?;
        let mut created = lock(&self.shared.created);
        for (entry, keep) in self.entries.iter().zip(keep) {
            if !keep {
                continue;
            }
            let dst = staging.join(&entry.rel);
            match entry.kind {
                Kind::Dir => {
                    if created.insert(entry.rel.clone()) {
                        create_dir(&dst)?;
                    }
                }
                Kind::File | Kind::Symlink => {
                    link_into(&self.target.out.join(&entry.rel), &dst, entry.kind)?;
                }
            }
        }
        write_new_file(
            &staging.join(MANIFEST_NAME),
            new_manifest,
            &self.shared.mode_fix,
        )?;

        // Directories keep a writable mode while being filled: the old one where the old tree
        // had the directory, 0755 for new ones.
        let mut dirs: Vec<(&Path, u32)> = created
            .iter()
            .filter(|rel| !rel.as_os_str().is_empty())
            .map(|rel| {
                let mode = self
                    .entry(rel)
                    .filter(|e| e.kind == Kind::Dir)
                    .map_or(0o755, |e| e.mode);
                (rel.as_path(), mode)
            })
            .collect();
        // Make every directory entry durable before the swap publishes the tree.
        par_map(&dirs, staging, |(rel, _)| sync_dir(&staging.join(rel)))?;
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
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.batch.clear();
        if !self.finished {
            // Queued jobs are of no use any more.
            self.shared.failed.store(true, Ordering::SeqCst);
        }
        self.pool.join();
        if !self.finished && !lock(&self.shared.created).is_empty() {
            // Best effort: the next run removes it anyway.
            let _ = remove_tree(&self.target.staging);
        }
    }
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
