//! The in-memory output of a render: relative paths mapped to file contents.
//!
//! Emitters build a [`FileTree`]; only the writer crate puts it on disk. Paths are relative,
//! use `/` as separator and never contain `.`/`..` components or empty segments, so a tree can
//! never name a file outside the output directory. Iteration order is the byte order of the
//! paths, which makes every consumer deterministic.

use std::collections::BTreeMap;
use std::fmt;

/// A validated relative path inside the output directory (`a/b/c.yaml`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(String);

/// Why a string is not a usable [`RelPath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadPath {
    pub path: String,
    pub reason: &'static str,
}

impl fmt::Display for BadPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid output path `{}`: {}", self.path, self.reason)
    }
}

impl std::error::Error for BadPath {}

impl RelPath {
    /// Checks that `path` is relative, normalised and portable.
    pub fn new(path: impl Into<String>) -> Result<Self, BadPath> {
        let path = path.into();
        let bad = |reason| {
            Err(BadPath {
                path: path.clone(),
                reason,
            })
        };
        if path.is_empty() {
            return bad("empty path");
        }
        if path.starts_with('/') {
            return bad("absolute path");
        }
        for segment in path.split('/') {
            match segment {
                "" => return bad("empty path segment"),
                "." | ".." => return bad("`.` or `..` segment"),
                s if s.contains('\\') || s.contains('\0') => return bad("backslash or NUL"),
                _ => {}
            }
        }
        Ok(RelPath(path))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path segments, outermost first.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Two emitters (or one emitter twice) produced the same path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicatePath(pub RelPath);

impl fmt::Display for DuplicatePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "two outputs claim the same file `{}`", self.0)
    }
}

impl std::error::Error for DuplicatePath {}

/// Files of one render, ordered by path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileTree {
    files: BTreeMap<RelPath, Vec<u8>>,
}

impl FileTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file; a path may be added once only.
    pub fn insert(&mut self, path: RelPath, contents: Vec<u8>) -> Result<(), DuplicatePath> {
        match self.files.entry(path) {
            std::collections::btree_map::Entry::Occupied(e) => Err(DuplicatePath(e.key().clone())),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(contents);
                Ok(())
            }
        }
    }

    /// Moves every file of `other` into `self`.
    pub fn merge(&mut self, other: FileTree) -> Result<(), DuplicatePath> {
        for (path, contents) in other.files {
            self.insert(path, contents)?;
        }
        Ok(())
    }

    pub fn get(&self, path: &RelPath) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Files in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&RelPath, &[u8])> {
        self.files.iter().map(|(p, c)| (p, c.as_slice()))
    }

    /// The paths in order.
    pub fn paths(&self) -> impl Iterator<Item = &RelPath> {
        self.files.keys()
    }

    /// A path that is both a file and the parent directory of another file, if any.
    pub fn file_dir_conflict(&self) -> Option<&RelPath> {
        let mut previous: Option<&RelPath> = None;
        for path in self.files.keys() {
            if let Some(prev) = previous {
                let p = path.as_str();
                if p.len() > prev.0.len()
                    && p.starts_with(prev.as_str())
                    && p.as_bytes()[prev.0.len()] == b'/'
                {
                    return Some(prev);
                }
            }
            previous = Some(path);
        }
        None
    }
}

/// Moves the files out, in path order.
impl IntoIterator for FileTree {
    type Item = (RelPath, Vec<u8>);
    type IntoIter = std::collections::btree_map::IntoIter<RelPath, Vec<u8>>;

    fn into_iter(self) -> Self::IntoIter {
        self.files.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_escaping_paths() {
        for bad in ["", "/etc/passwd", "a/../b", "./a", "a//b", "a/", "a\\b"] {
            assert!(RelPath::new(bad).is_err(), "{bad:?} accepted");
        }
        assert!(RelPath::new("apps/shop/base/kustomization.yaml").is_ok());
    }

    #[test]
    fn duplicate_and_conflicting_paths_are_reported() -> Result<(), Box<dyn std::error::Error>> {
        let mut tree = FileTree::new();
        tree.insert(RelPath::new("a/b")?, b"1".to_vec())?;
        assert!(tree.insert(RelPath::new("a/b")?, b"2".to_vec()).is_err());
        assert_eq!(tree.file_dir_conflict(), None);
        tree.insert(RelPath::new("a/b/c")?, b"3".to_vec())?;
        assert_eq!(tree.file_dir_conflict().map(RelPath::as_str), Some("a/b"));
        Ok(())
    }
}
