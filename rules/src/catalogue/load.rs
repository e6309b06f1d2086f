//! Reading baseline TOML into rules, with errors that point at file, line
//! and key.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::validate::{self, RawRule};
use super::{Baseline, Catalogue, Rule, BASELINE_FILE};
use crate::error::CatalogueError;
use crate::toml_location;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rule: Vec<Spanned<RawRule>>,
}

pub(super) fn from_dir(dir: &Path) -> Result<Catalogue, CatalogueError> {
    let read = |name: &str| -> Result<Cow<'static, str>, CatalogueError> {
        let file = dir.join(name);
        std::fs::read_to_string(&file)
            .map(Cow::Owned)
            .map_err(|source| CatalogueError::Read { file, source })
    };
    let meta = read(BASELINE_FILE)?;
    from_sources(dir, &meta, read)
}

/// Parses `baseline.toml` (`meta`) and every rule file it lists, fetched by
/// name through `fetch`. `dir` is used only to name files in errors.
pub(super) fn from_sources<F>(dir: &Path, meta: &str, fetch: F) -> Result<Catalogue, CatalogueError>
where
    F: Fn(&str) -> Result<Cow<'static, str>, CatalogueError>,
{
    let meta_path = dir.join(BASELINE_FILE);
    let baseline: Baseline = parse(&meta_path, meta)?;
    validate::baseline(&meta_path, meta, &baseline)?;

    let mut rules: Vec<Rule> = Vec::new();
    let mut seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
    for name in &baseline.files {
        let path = dir.join(name);
        let text = fetch(name)?;
        let parsed: RuleFile = parse(&path, &text)?;
        for spanned in parsed.rule {
            let line = line_of(&text, spanned.span());
            let raw = spanned.into_inner();
            let rule = validate::rule(&path, &text, name, raw)?;
            if let Some((first_file, first_line)) = seen.get(&rule.id) {
                return Err(CatalogueError::DuplicateId {
                    file: path,
                    line,
                    rule: rule.id,
                    first_file: first_file.clone(),
                    first_line: *first_line,
                });
            }
            seen.insert(rule.id.clone(), (path.clone(), line));
            rules.push(rule);
        }
    }
    Ok(Catalogue::new(baseline, rules))
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, CatalogueError> {
    toml::from_str(text).map_err(|err| syntax_error(path, text, &err))
}

/// Turns a TOML error into one sentence naming file, line and key.
pub(crate) fn syntax_error(path: &Path, text: &str, err: &toml::de::Error) -> CatalogueError {
    let (line, key) = toml_location::of_error(text, err);
    CatalogueError::Syntax {
        file: path.to_owned(),
        line,
        key,
        message: err.message().trim().replace('\n', " "),
    }
}

/// 1-based line number of a byte span's start.
pub(crate) fn line_of(text: &str, span: Range<usize>) -> usize {
    toml_location::line_of(text, span.start)
}

pub(crate) use toml_location::line_of_text;
