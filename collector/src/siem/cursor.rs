//! The push's cursor: the id of the last `finding_changes` row the HEC
//! accepted, one number in a file in `data_dir`.

use std::path::Path;

use crate::error::{Error, Result};

/// The cursor file in `data_dir`.
pub const CURSOR_FILE: &str = "siem-hec.cursor";

/// 0 when there is no file yet: the first start sends the whole history.
pub(super) fn read_cursor(path: &Path) -> Result<i64> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .trim()
            .parse::<i64>()
            .map_err(|_| Error::InvalidArgument {
                what: "SIEM cursor file",
                value: path.display().to_string(),
                reason: format!(
                "it should hold one history id, not {:?}; delete it to resend the whole history",
                text.trim().chars().take(40).collect::<String>()
            ),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(source) => Err(Error::Io {
            action: "read",
            path: path.to_owned(),
            source,
        }),
    }
}

/// Written to a temporary file and renamed, so a crash leaves the old
/// cursor or the new one, never half of one.
pub(super) fn write_cursor(path: &Path, id: i64) -> Result<()> {
    let tmp = path.with_extension("cursor.tmp");
    let io = |action, source| Error::Io {
        action,
        path: path.to_owned(),
        source,
    };
    std::fs::write(&tmp, format!("{id}\n")).map_err(|e| io("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| io("replace", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_survives_a_round_trip_and_a_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CURSOR_FILE);
        assert_eq!(read_cursor(&path).unwrap(), 0);
        write_cursor(&path, 42).unwrap();
        assert_eq!(read_cursor(&path).unwrap(), 42);
        std::fs::write(&path, "x").unwrap();
        assert!(read_cursor(&path)
            .unwrap_err()
            .to_string()
            .contains("delete it"));
    }
}
