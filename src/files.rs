//! Files tms writes: private to the account tms runs as, and written whole or not at all.
//!
//! Every folder tms creates is `0700` and every file `0600` on Unix (folders that already exist
//! keep their mode), so the database, uploads, reject reports, period files and the outbox are
//! never readable by other accounts on the machine. Whole files go to a hidden temporary name
//! beside the target, are synced to disk, and the temporary file is renamed over the target: a
//! crash leaves either the old file or the new one, never a part.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// The mode of folders tms creates: the owner only.
pub const FOLDER_MODE: u32 = 0o700;

/// The mode of files tms creates: the owner may read and write, nobody else anything.
pub const FILE_MODE: u32 = 0o600;

/// Creates `folder` and any missing parents, each new one private. Existing folders keep
/// their mode, so an inbox set up for uploads by other accounts stays as it was set up.
pub fn create_private_dir_all(folder: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, FOLDER_MODE);
    builder.create(folder)
}

/// Creates (or empties) a file that only its owner may read and write; an existing file is
/// made private too.
pub fn create_private_file(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    let file = options.open(path)?;
    make_file_private(&file)?;
    Ok(file)
}

/// Creates an empty private file at `path` unless something is already there. SQLite opens a
/// database file created this way as a new database, and gives its `-wal` and `-shm` files the
/// same mode.
pub fn ensure_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Makes a file that came from elsewhere (an uploaded file filed under `done/`) private.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn make_file_private(file: &File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Copies `from` to a private file `to` (`std::fs::copy` would copy the source's mode).
pub fn copy_private(from: &Path, to: &Path) -> std::io::Result<u64> {
    let mut source = File::open(from)?;
    let mut target = create_private_file(to)?;
    std::io::copy(&mut source, &mut target)
}

/// Writes `bytes` to `target` whole, privately, creating its folder if needed.
pub fn write_whole(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = target.parent().unwrap_or(Path::new("."));
    create_private_dir_all(folder)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = folder.join(format!(".{name}.part"));
    let mut file = create_private_file(&partial)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&partial, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_file_is_left() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("periods/2026-11/charges.csv");
        write_whole(&target, b"first").expect("write");
        write_whole(&target, b"second").expect("write again");
        assert_eq!(std::fs::read(&target).expect("read"), b"second");
        let names: Vec<_> = std::fs::read_dir(target.parent().expect("folder"))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["charges.csv"]);
    }

    #[cfg(unix)]
    #[test]
    fn folders_and_files_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("out/periods/2026-11/charges.csv");
        write_whole(&target, b"x").expect("write");
        assert_eq!(mode(&target), FILE_MODE);
        for folder in ["out", "out/periods", "out/periods/2026-11"] {
            assert_eq!(mode(&dir.path().join(folder)), FOLDER_MODE, "{folder}");
        }

        // A file that came from elsewhere, world-readable, is made private when copied or filed.
        let open = dir.path().join("open.csv");
        std::fs::write(&open, b"y").expect("write");
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let copy = dir.path().join("copy.csv");
        copy_private(&open, &copy).expect("copy");
        assert_eq!(mode(&copy), FILE_MODE);
        assert_eq!(std::fs::read(&copy).expect("read"), b"y");
        create_private_file(&open).expect("reopen");
        assert_eq!(
            mode(&open),
            FILE_MODE,
            "an existing file is made private too"
        );

        let db = dir.path().join("tms.db");
        ensure_private_file(&db).expect("create");
        assert_eq!(mode(&db), FILE_MODE);
        std::fs::write(&db, b"kept").expect("write");
        ensure_private_file(&db).expect("exists");
        assert_eq!(
            std::fs::read(&db).expect("read"),
            b"kept",
            "an existing file is left"
        );
    }
}
