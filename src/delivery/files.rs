//! Files written whole or not at all: the bytes go to a hidden temporary name beside the target,
//! are synced to disk, and the temporary file is renamed over the target. A crash leaves either
//! the old file or the new one, never a part.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `target`, creating its folder if needed.
pub fn write_whole(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = folder.join(format!(".{name}.part"));
    let mut file = std::fs::File::create(&partial)?;
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
}
