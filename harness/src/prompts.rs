//! Prompts: a small built-in set, or one prompt per line of a text file.

use crate::error::HarnessError;
use std::path::Path;

/// Eight short, varied prompts, used when an experiment names none.
pub fn builtin() -> Vec<String> {
    [
        "Explain in two sentences why the sky looks blue during the day.",
        "Write a short poem about a lighthouse keeper in winter.",
        "List three practical ways to reduce the energy use of a data centre.",
        "Summarise the plot of a heist story in which nothing goes to plan.",
        "What is the difference between a virus and a bacterium?",
        "Describe how a bicycle gear system makes climbing hills easier.",
        "Give a friendly reminder to water the plants, written as a haiku.",
        "Why do leaves change colour in autumn? Answer for a ten-year-old.",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// The non-empty lines of a UTF-8 text file, each one prompt (surrounding whitespace removed).
pub fn from_file(path: &Path) -> Result<Vec<String>, HarnessError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| HarnessError::io("read the prompts file", path, e))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_prompt_per_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prompts.txt");
        std::fs::write(&path, "first prompt\n\n  second prompt  \n").unwrap();
        assert_eq!(
            from_file(&path).unwrap(),
            vec!["first prompt", "second prompt"]
        );
        assert!(
            from_file(&dir.path().join("missing.txt"))
                .is_err_and(|e| e.to_string().contains("read the prompts file"))
        );
        assert_eq!(builtin().len(), 8);
    }
}
