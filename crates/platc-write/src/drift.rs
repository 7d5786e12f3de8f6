//! `compare`: what `write` would change, read from disk byte for byte.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use platc_tree::{FileTree, RelPath};
use similar::TextDiff;

use crate::error::WriteError;
use crate::fsutil::lstat;
use crate::manifest::{self, MANIFEST_NAME};
use crate::target;

/// A generated file whose bytes on disk differ from the rendered ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedFile {
    pub path: RelPath,
    /// On disk.
    pub old: Vec<u8>,
    /// Rendered now.
    pub new: Vec<u8>,
}

/// A generated file that is not on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingFile {
    pub path: RelPath,
    /// Rendered now.
    pub contents: Vec<u8>,
}

/// A file platc generated last time that is no longer generated but still on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleFile {
    pub path: RelPath,
    /// On disk.
    pub contents: Vec<u8>,
}

/// The manifest on disk differs from the one a write would record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestDrift {
    /// On disk; `None` if there is no manifest.
    pub old: Option<Vec<u8>>,
    pub new: Vec<u8>,
}

/// Everything [`write()`](crate::write()) would change, each list in path order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drift {
    pub changed: Vec<ChangedFile>,
    pub missing: Vec<MissingFile>,
    pub stale: Vec<StaleFile>,
    pub manifest: Option<ManifestDrift>,
}

impl Drift {
    /// Nothing would change.
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty()
            && self.missing.is_empty()
            && self.stale.is_empty()
            && self.manifest.is_none()
    }

    /// Whether the manifest differs.
    pub fn manifest_differs(&self) -> bool {
        self.manifest.is_some()
    }

    /// A unified diff (3 lines of context) from what is on disk (`a/`) to what would be written
    /// (`b/`), ordered by path. Missing files appear as added from `/dev/null`, stale files as
    /// removed to `/dev/null`; content that is not UTF-8 text (or contains NUL) is reported as
    /// `Binary files ... differ`.
    pub fn unified_diff(&self) -> String {
        // (path, on disk, rendered)
        type Item<'a> = (&'a str, Option<&'a [u8]>, Option<&'a [u8]>);
        let mut items: Vec<Item<'_>> = Vec::new();
        for file in &self.changed {
            items.push((file.path.as_str(), Some(&file.old), Some(&file.new)));
        }
        for file in &self.missing {
            items.push((file.path.as_str(), None, Some(&file.contents)));
        }
        for file in &self.stale {
            items.push((file.path.as_str(), Some(&file.contents), None));
        }
        if let Some(m) = &self.manifest {
            items.push((MANIFEST_NAME, m.old.as_deref(), Some(&m.new)));
        }
        items.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = String::new();
        for (path, old, new) in items {
            file_diff(&mut out, path, old, new);
        }
        out
    }
}

fn as_text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes)
        .ok()
        .filter(|s| !s.contains('\0'))
}

fn file_diff(out: &mut String, path: &str, old: Option<&[u8]>, new: Option<&[u8]>) {
    let old_label = match old {
        Some(_) => format!("a/{path}"),
        None => "/dev/null".to_string(),
    };
    let new_label = match new {
        Some(_) => format!("b/{path}"),
        None => "/dev/null".to_string(),
    };
    let old_text = as_text(old.unwrap_or_default());
    let new_text = as_text(new.unwrap_or_default());
    let (Some(old_text), Some(new_text)) = (old_text, new_text) else {
        let _ = writeln!(out, "Binary files {old_label} and {new_label} differ");
        return;
    };
    let _ = writeln!(out, "--- {old_label}");
    let _ = writeln!(out, "+++ {new_label}");
    let diff = TextDiff::from_lines(old_text, new_text);
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        let _ = write!(out, "{hunk}");
    }
}

/// State of a directory on the way to a generated file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Real,
    Absent,
    /// An old generated file that a write would replace by a directory.
    StaleFile,
}

/// Where the real directories are, memoised in the comparer's cache.
struct Probe<'a> {
    out: &'a Path,
    manifest: &'a BTreeSet<RelPath>,
    cache: &'a mut HashMap<PathBuf, Dir>,
}

impl Probe<'_> {
    /// Checks the directories on the way to `rel`, outermost first.
    fn dirs(&mut self, rel: &Path) -> Result<Dir, WriteError> {
        let mut on_the_way: Vec<&Path> = rel
            .ancestors()
            .skip(1)
            .take_while(|a| !a.as_os_str().is_empty())
            .collect();
        on_the_way.reverse();
        for dir in on_the_way {
            let state = match self.cache.get(dir) {
                Some(state) => *state,
                None => {
                    let path = self.out.join(dir);
                    let meta = lstat(&path).map_err(|err| WriteError::io("inspect", &path, err))?;
                    let state = match meta {
                        None => Dir::Absent,
                        Some(meta) if meta.file_type().is_dir() => Dir::Real,
                        Some(meta) if meta.file_type().is_symlink() => {
                            return Err(WriteError::SymlinkInPath { path })
                        }
                        Some(meta) if meta.file_type().is_file() => {
                            let listed = dir
                                .to_str()
                                .and_then(|s| RelPath::new(s).ok())
                                .is_some_and(|p| self.manifest.contains(&p));
                            if !listed {
                                return Err(WriteError::Collision {
                                    path,
                                    existing: "file",
                                });
                            }
                            Dir::StaleFile
                        }
                        Some(_) => return Err(WriteError::SpecialFile { path }),
                    };
                    self.cache.insert(dir.to_path_buf(), state);
                    state
                }
            };
            if state != Dir::Real {
                return Ok(state);
            }
        }
        Ok(Dir::Real)
    }
}

enum Found {
    Same,
    Changed(Vec<u8>),
    Missing,
}

/// See [`crate::compare`].
pub(crate) fn compare(tree: &FileTree, out_dir: &Path) -> Result<Drift, WriteError> {
    let mut comparer = Comparer::begin(out_dir)?;
    comparer.add(tree.clone())?;
    comparer.finish()
}

/// [`compare()`](crate::compare()) for a tree handed over in parts, so that the whole tree
/// never has to be in memory at once: every [`Comparer::add`] reads and compares its files at
/// once (every byte), [`Comparer::finish`] looks for stale files and compares the manifest.
/// Changed and missing files keep their rendered bytes (for the diff); unchanged ones are
/// dropped.
pub struct Comparer {
    out: PathBuf,
    /// `None` when the output directory does not exist.
    old: Option<Option<manifest::OldManifest>>,
    listed: BTreeSet<RelPath>,
    cache: HashMap<PathBuf, Dir>,
    paths: BTreeSet<RelPath>,
    dirs: BTreeSet<String>,
    drift: Drift,
}

impl Comparer {
    /// Starts a comparison with `out_dir`.
    pub fn begin(out_dir: &Path) -> Result<Comparer, WriteError> {
        let target = target::resolve(out_dir)?;
        let mut old = match target::inspect(&target)? {
            None => None,
            Some(_) => Some(manifest::read(&target.out)?),
        };
        // Taken, not copied: only the manifest's bytes are needed later.
        let listed = old
            .as_mut()
            .and_then(|m| m.as_mut())
            .map(|m| std::mem::take(&mut m.paths))
            .unwrap_or_default();
        Ok(Comparer {
            out: target.out,
            old,
            listed,
            cache: HashMap::new(),
            paths: BTreeSet::new(),
            dirs: BTreeSet::new(),
            drift: Drift::default(),
        })
    }

    /// Compares the files of `tree` with what is on disk.
    pub fn add(&mut self, tree: FileTree) -> Result<(), WriteError> {
        manifest::validate_tree(&tree, &self.out)?;
        for (rel, bytes) in tree {
            self.note_path(&rel)?;
            let found = if self.old.is_none() {
                Found::Missing
            } else {
                self.compare_one(&rel, &bytes)?
            };
            match found {
                Found::Same => {}
                Found::Changed(old) => self.drift.changed.push(ChangedFile {
                    path: rel,
                    old,
                    new: bytes,
                }),
                Found::Missing => self.drift.missing.push(MissingFile {
                    path: rel,
                    contents: bytes,
                }),
            }
        }
        Ok(())
    }

    /// Records a path; a path added twice, or used as a file and as a directory, is an error.
    fn note_path(&mut self, rel: &RelPath) -> Result<(), WriteError> {
        if self.dirs.contains(rel.as_str()) {
            return Err(WriteError::FileDirConflict {
                path: self.out.join(rel.as_str()),
            });
        }
        for dir in Path::new(rel.as_str())
            .ancestors()
            .skip(1)
            .take_while(|a| !a.as_os_str().is_empty())
        {
            let Some(dir) = dir.to_str() else { continue };
            if self.dirs.contains(dir) {
                break;
            }
            if RelPath::new(dir).is_ok_and(|p| self.paths.contains(&p)) {
                return Err(WriteError::FileDirConflict {
                    path: self.out.join(dir),
                });
            }
            self.dirs.insert(dir.to_string());
        }
        if !self.paths.insert(rel.clone()) {
            return Err(WriteError::DuplicatePath {
                path: self.out.join(rel.as_str()),
            });
        }
        Ok(())
    }

    fn compare_one(&mut self, rel: &RelPath, bytes: &[u8]) -> Result<Found, WriteError> {
        let out = self.out.as_path();
        let mut probe = Probe {
            out,
            manifest: &self.listed,
            cache: &mut self.cache,
        };
        let rel_path = Path::new(rel.as_str());
        if probe.dirs(rel_path)? != Dir::Real {
            return Ok(Found::Missing);
        }
        let path = out.join(rel_path);
        let meta = lstat(&path).map_err(|err| WriteError::io("inspect", &path, err))?;
        let existing = match meta {
            None => return Ok(Found::Missing),
            Some(meta) if meta.file_type().is_file() => {
                if !self.listed.contains(rel) {
                    return Err(WriteError::Collision {
                        path,
                        existing: "file",
                    });
                }
                return read_compare(&path, meta.len(), bytes);
            }
            Some(meta) if meta.file_type().is_dir() => "directory",
            Some(meta) if meta.file_type().is_symlink() => "symbolic link",
            Some(_) => return Err(WriteError::SpecialFile { path }),
        };
        Err(WriteError::Collision { path, existing })
    }

    /// Stale files and the manifest; the drift, each list in path order.
    pub fn finish(mut self) -> Result<Drift, WriteError> {
        let new_manifest = manifest::render_paths(self.paths.iter());
        let mut drift = std::mem::take(&mut self.drift);
        drift.changed.sort_by(|a, b| a.path.cmp(&b.path));
        drift.missing.sort_by(|a, b| a.path.cmp(&b.path));
        let Some(old) = self.old else {
            drift.manifest = Some(ManifestDrift {
                old: None,
                new: new_manifest,
            });
            return Ok(drift);
        };
        let out = self.out.as_path();
        // The directories the added files already probed are known.
        let mut probe = Probe {
            out,
            manifest: &self.listed,
            cache: &mut self.cache,
        };
        for rel in self.listed.iter().filter(|rel| !self.paths.contains(*rel)) {
            let rel_path = Path::new(rel.as_str());
            // Only files a write would see (no symbolic link on the way) are stale.
            if !matches!(probe.dirs(rel_path), Ok(Dir::Real)) {
                continue;
            }
            let path = out.join(rel_path);
            match lstat(&path).map_err(|err| WriteError::io("inspect", &path, err))? {
                Some(meta) if meta.file_type().is_file() => {
                    let contents =
                        fs::read(&path).map_err(|err| WriteError::io("read", &path, err))?;
                    drift.stale.push(StaleFile {
                        path: rel.clone(),
                        contents,
                    });
                }
                _ => {}
            }
        }

        let old_bytes = old.map(|m| m.bytes);
        if old_bytes.as_deref() != Some(new_manifest.as_slice()) {
            drift.manifest = Some(ManifestDrift {
                old: old_bytes,
                new: new_manifest,
            });
        }
        Ok(drift)
    }

    /// Files added so far.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether no file was added.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

/// Compares the file at `path` (`len` bytes long when it was inspected) with `bytes`, every
/// byte, reading it piece by piece: a file that equals `bytes` is never held in memory (at
/// 10,000 services `databases.tf` alone is over 40 MB). Only a file that differs is read as a
/// whole, for the diff.
fn read_compare(path: &Path, len: u64, bytes: &[u8]) -> Result<Found, WriteError> {
    let err = |err| WriteError::io("read", path, err);
    let mut file = match fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Found::Missing),
        Err(e) => return Err(err(e)),
    };
    if len == bytes.len() as u64 {
        let same = crate::fsutil::same_contents(&mut file, bytes).map_err(err)?;
        if same {
            return Ok(Found::Same);
        }
        file.seek(SeekFrom::Start(0)).map_err(err)?;
    }
    let mut old = Vec::new();
    file.read_to_end(&mut old).map_err(err)?;
    Ok(Found::Changed(old))
}
