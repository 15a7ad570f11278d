//! How imports of files end, as recorded: an import's progress and an inbox file's outcome.

use super::reference::word_enum;

word_enum!(
    /// Where the import of one file's content stands (`import_file.status`): running until its
    /// counts are recorded, then done. An import left running by a crash is resumed.
    ImportStatus {
        Running => "running",
        Done => "done",
    }
);

word_enum!(
    /// What the nightly ingest step made of one inbox file (`ingest_file.outcome`).
    ImportOutcome {
        /// Every row was imported.
        Imported => "imported",
        /// The file was imported but some of its rows were rejected.
        RejectedRows => "rejected_rows",
        /// The file was refused whole: nothing from it was imported.
        Refused => "refused",
        /// The same content was imported before; nothing was imported again.
        Duplicate => "duplicate",
    }
);

/// A file is imported unless something says otherwise.
impl Default for ImportOutcome {
    fn default() -> Self {
        ImportOutcome::Imported
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_read_back_exactly() {
        for outcome in ImportOutcome::ALL {
            assert_eq!(
                ImportOutcome::try_from(outcome.as_str().to_owned()),
                Ok(*outcome)
            );
        }
        assert_eq!(
            ImportStatus::try_from("done".to_owned()),
            Ok(ImportStatus::Done)
        );
        assert!(ImportStatus::try_from(" done".to_owned()).is_err());
        let error = ImportOutcome::try_from("ok".to_owned()).expect_err("not an outcome");
        assert_eq!(
            error.to_string(),
            "'ok' is not one of: imported rejected_rows refused duplicate"
        );
    }
}
