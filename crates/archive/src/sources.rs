//! Which files an import reads: files named on the command line, every
//! file under a folder (recursively), and the files a DICOMDIR lists.

use crate::meta::{self, text, MetaError};
use dicom_dictionary_std::tags;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Folders nested deeper than this are not entered (a guard against
/// pathological trees; real media are a few levels deep).
const MAX_DEPTH: usize = 32;

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    /// Named by the user or listed in a DICOMDIR: a file that is not DICOM
    /// is then a failure. Files met while walking a folder that are not
    /// DICOM (a viewer program on a CD, a README) are only skipped.
    pub named: bool,
}

/// The files found, and what could not be looked at, with the reason.
#[derive(Debug, Default)]
pub struct Gathered {
    pub files: Vec<Candidate>,
    pub problems: Vec<(String, String)>,
}

fn is_dicomdir_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.eq_ignore_ascii_case("DICOMDIR"))
}

impl Gathered {
    fn add(&mut self, seen: &mut HashSet<PathBuf>, path: PathBuf, named: bool) {
        // The same file reached twice (a DICOMDIR and its folder) is read once.
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if seen.insert(key) {
            self.files.push(Candidate { path, named });
        }
    }

    fn problem(&mut self, path: &Path, reason: impl Into<String>) {
        self.problems
            .push((path.display().to_string(), reason.into()));
    }
}

/// Lists the files to import from `paths`, in a stable order.
pub fn gather(paths: &[PathBuf]) -> Gathered {
    let mut out = Gathered::default();
    let mut seen = HashSet::new();
    for path in paths {
        match std::fs::metadata(path) {
            Err(e) => out.problem(path, format!("cannot be read: {e}")),
            Ok(m) if m.is_dir() => walk(path, 0, &mut out, &mut seen),
            Ok(_) if is_dicomdir_name(path) || is_dicomdir(path) => {
                dicomdir(path, &mut out, &mut seen)
            }
            Ok(_) => out.add(&mut seen, path.clone(), true),
        }
    }
    out
}

/// Whether a file's media storage class says it is a DICOMDIR.
fn is_dicomdir(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    meta::open_header(&bytes).is_ok_and(|o| {
        o.meta()
            .media_storage_sop_class_uid()
            .trim_matches([' ', '\0'])
            == meta::DICOMDIR_SOP_CLASS
    })
}

fn walk(dir: &Path, depth: usize, out: &mut Gathered, seen: &mut HashSet<PathBuf>) {
    if depth > MAX_DEPTH {
        out.problem(
            dir,
            format!("is nested more than {MAX_DEPTH} folders deep; not read"),
        );
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return out.problem(dir, format!("cannot be read: {e}")),
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        // symlink_metadata: a link to a folder is not followed, so a loop
        // of links cannot make the walk endless.
        match std::fs::symlink_metadata(&path) {
            Err(e) => out.problem(&path, format!("cannot be read: {e}")),
            Ok(m) if m.is_dir() => walk(&path, depth + 1, out, seen),
            // The folder walk reaches every file a DICOMDIR here lists.
            Ok(m) if m.is_file() && is_dicomdir_name(&path) => {}
            Ok(m) if m.is_file() => out.add(seen, path, false),
            Ok(_) => {}
        }
    }
}

/// Adds the files a DICOMDIR lists (Referenced File ID of each directory
/// record), relative to the DICOMDIR's folder.
fn dicomdir(path: &Path, out: &mut Gathered, seen: &mut HashSet<PathBuf>) {
    match referenced_files(path) {
        Err(why) => out.problem(path, why),
        Ok(files) => {
            if files.is_empty() {
                out.problem(path, "the DICOMDIR lists no files");
            }
            for f in files {
                match f {
                    Ok(p) => out.add(seen, p, true),
                    Err((shown, why)) => out.problems.push((shown, why)),
                }
            }
        }
    }
}

type Listed = Result<PathBuf, (String, String)>;

/// The files a DICOMDIR lists, each found on disk or reported missing.
pub fn referenced_files(path: &Path) -> Result<Vec<Listed>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    let obj = meta::open(&bytes, false).map_err(|e| match e {
        MetaError::NotDicom => "is named DICOMDIR but is not a DICOM file".to_string(),
        e => e.to_string(),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let items = obj
        .get(tags::DIRECTORY_RECORD_SEQUENCE)
        .and_then(|e| e.items())
        .ok_or("the DICOMDIR has no Directory Record Sequence (0004,1220)")?;
    let mut listed = Vec::new();
    for item in items {
        let Some(id) = item.get(tags::REFERENCED_FILE_ID) else {
            continue;
        };
        let parts: Vec<String> = match id.to_multi_str() {
            Ok(p) => p
                .iter()
                .map(|s| s.trim_matches([' ', '\0']).to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            Err(_) => Vec::new(),
        };
        let shown = format!("{} → {}", path.display(), parts.join("\\"));
        // A file ID is relative and plain: no "..", no absolute parts.
        if parts.is_empty() || parts.iter().any(|p| p == ".." || p.contains(['/', ':'])) {
            let record = text(item, tags::DIRECTORY_RECORD_TYPE).unwrap_or_default();
            listed.push(Err((
                shown,
                format!("the DICOMDIR's {record} record names a file ID that is not a plain relative path"),
            )));
            continue;
        }
        listed.push(find(base, &parts).ok_or_else(|| {
            (
                shown,
                "is listed in the DICOMDIR but is not on the medium".into(),
            )
        }));
    }
    Ok(listed)
}

/// `base/parts…`, matching each part's letter case loosely: media written
/// in upper case are often mounted in lower case.
fn find(base: &Path, parts: &[String]) -> Option<PathBuf> {
    let mut at = base.to_path_buf();
    for part in parts {
        let exact = at.join(part);
        if exact.exists() {
            at = exact;
            continue;
        }
        let entry = std::fs::read_dir(&at)
            .ok()?
            .filter_map(|e| e.ok())
            .find(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(part))
            })?;
        at = entry.path();
    }
    at.is_file().then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_walked_in_order_and_missing_paths_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        std::fs::write(dir.path().join("b/c/2.dcm"), b"x").unwrap();
        std::fs::write(dir.path().join("a.dcm"), b"x").unwrap();
        std::fs::write(dir.path().join("b/DICOMDIR"), b"x").unwrap();
        let g = gather(&[dir.path().to_path_buf(), dir.path().join("nope")]);
        let names: Vec<String> = g
            .files
            .iter()
            .map(|c| {
                c.path
                    .strip_prefix(dir.path())
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["a.dcm", "b/c/2.dcm"]);
        assert!(g.files.iter().all(|c| !c.named));
        assert_eq!(g.problems.len(), 1);
        assert!(g.problems[0].1.contains("cannot be read"));
    }

    #[test]
    fn file_ids_match_case_loosely() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pt000000")).unwrap();
        std::fs::write(dir.path().join("pt000000/im000001"), b"x").unwrap();
        let found = find(dir.path(), &["PT000000".into(), "IM000001".into()]).unwrap();
        assert!(found.ends_with("pt000000/im000001"));
        assert!(find(dir.path(), &["PT000000".into(), "IM2".into()]).is_none());
    }
}
