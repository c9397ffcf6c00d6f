//! Blueprint errors: file, line, column, what was expected.

use std::fmt;

/// Why a blueprint (or scenario) could not be loaded. Nothing is half-loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The file (or built-in name).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl LoadError {
    /// An error about the file as a whole.
    pub fn whole_file(file: &str, message: String) -> Self {
        LoadError {
            file: file.to_string(),
            line: 1,
            col: 1,
            message,
        }
    }

    /// An error at a byte offset of `src`.
    pub fn at_offset(file: &str, src: &str, offset: usize, message: String) -> Self {
        let before = &src[..offset.min(src.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        LoadError {
            file: file.to_string(),
            line,
            col,
            message,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

impl std::error::Error for LoadError {}
