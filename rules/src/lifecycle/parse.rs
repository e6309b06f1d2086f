//! Reading and validating the table's TOML. Every error is one sentence
//! naming the file, the line and the dotted key (`release[3].security_until`).

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use time::{Date, Month};
use toml::value::Datetime;
use toml::Spanned;

use super::matching;
use super::{EditionDates, ExtendedSupport, Extension, Lifecycle, Release};
use crate::toml_location;

/// A lifecycle table that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("{file}: cannot be read: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },

    /// Malformed TOML, a wrong type, an unknown or missing key, or a value
    /// that breaks the table's rules (dates out of order, a duplicate
    /// release, an unknown extension).
    #[error("{file} line {line}, key `{key}`: {message}")]
    Invalid {
        file: String,
        line: usize,
        key: String,
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    version: Spanned<String>,
    published: Spanned<Datetime>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    release: Vec<RawRelease>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelease {
    os: Spanned<String>,
    version: Spanned<String>,
    name: Spanned<String>,
    released: Spanned<Datetime>,
    security_until: Spanned<Datetime>,
    extended: Option<Spanned<String>>,
    extended_until: Option<Spanned<Datetime>>,
    #[serde(default)]
    edition: Vec<RawEdition>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdition {
    editions: Spanned<Vec<String>>,
    name: Option<String>,
    security_until: Spanned<Datetime>,
    extended: Option<Spanned<String>>,
    extended_until: Option<Spanned<Datetime>>,
}

/// Builds errors that point into one text.
struct At<'a> {
    text: &'a str,
    file: &'a str,
}

impl At<'_> {
    fn err(&self, span: Range<usize>, key: String, message: String) -> LifecycleError {
        LifecycleError::Invalid {
            file: self.file.to_owned(),
            line: toml_location::line_of(self.text, span.start),
            key,
            message,
        }
    }

    fn date(&self, value: &Spanned<Datetime>, key: String) -> Result<Date, LifecycleError> {
        to_date(value.get_ref()).map_err(|m| self.err(value.span(), key, m))
    }

    fn extension(
        &self,
        name: Option<&Spanned<String>>,
        until: Option<&Spanned<Datetime>>,
        key: &str,
        header: Range<usize>,
    ) -> Result<Option<ExtendedSupport>, LifecycleError> {
        match (name, until) {
            (None, None) => Ok(None),
            (Some(name), Some(until)) => {
                let kind = Extension::from_name(name.get_ref()).ok_or_else(|| {
                    let known: Vec<&str> = Extension::ALL.iter().map(|e| e.name()).collect();
                    self.err(
                        name.span(),
                        format!("{key}.extended"),
                        format!(
                            "`{}` is not a known extension (expected one of: {})",
                            name.get_ref(),
                            known.join(", ")
                        ),
                    )
                })?;
                let until = self.date(until, format!("{key}.extended_until"))?;
                Ok(Some(ExtendedSupport { kind, until }))
            }
            (Some(name), None) => Err(self.err(
                name.span(),
                format!("{key}.extended_until"),
                "is missing: `extended` needs the date it runs to".into(),
            )),
            (None, Some(until)) => Err(self.err(
                until.span().start.min(header.start)..until.span().end,
                format!("{key}.extended"),
                "is missing: `extended_until` needs the name of the extension".into(),
            )),
        }
    }
}

/// A TOML local date (`2026-06-30`); a time or offset is refused because
/// the table's dates are whole days.
fn to_date(value: &Datetime) -> Result<Date, String> {
    let d = match (value.date, value.time, value.offset) {
        (Some(d), None, None) => d,
        _ => return Err(format!("must be a date such as 2026-06-30, not `{value}`")),
    };
    let month = Month::try_from(d.month).map_err(|e| e.to_string())?;
    Date::from_calendar_date(i32::from(d.year), month, d.day).map_err(|e| e.to_string())
}

pub(super) fn parse(text: &str, file: &str) -> Result<Lifecycle, LifecycleError> {
    let at = At { text, file };
    let raw: RawTable = toml::from_str(text).map_err(|e| {
        let (line, key) = toml_location::of_error(text, &e);
        LifecycleError::Invalid {
            file: file.to_owned(),
            line,
            key,
            message: e.message().trim().replace('\n', " "),
        }
    })?;
    if raw.version.get_ref().trim().is_empty() {
        return Err(at.err(
            raw.version.span(),
            "version".into(),
            "must name the table's version, e.g. `2026.11.1`".into(),
        ));
    }
    let published = at.date(&raw.published, "published".into())?;
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut releases = Vec::with_capacity(raw.release.len());
    for (i, r) in raw.release.iter().enumerate() {
        let key = format!("release[{i}]");
        let os = r.os.get_ref().trim().to_owned();
        matching::check_os(&os).map_err(|m| at.err(r.os.span(), format!("{key}.os"), m))?;
        let version = r.version.get_ref().trim().to_owned();
        matching::check_key(&os, &version)
            .map_err(|m| at.err(r.version.span(), format!("{key}.version"), m))?;
        let line = toml_location::line_of(text, r.os.span().start);
        if let Some(first) = seen.insert((os.clone(), version.clone()), line) {
            return Err(at.err(
                r.version.span(),
                format!("{key}.version"),
                format!("{os} {version} is listed twice (first at line {first})"),
            ));
        }
        if r.name.get_ref().trim().is_empty() {
            return Err(at.err(
                r.name.span(),
                format!("{key}.name"),
                "must name the release for people".into(),
            ));
        }
        let released = at.date(&r.released, format!("{key}.released"))?;
        let security_until = at.date(&r.security_until, format!("{key}.security_until"))?;
        if security_until <= released {
            return Err(at.err(
                r.security_until.span(),
                format!("{key}.security_until"),
                format!("{security_until} is not after the release date {released}"),
            ));
        }
        let extended = at.extension(
            r.extended.as_ref(),
            r.extended_until.as_ref(),
            &key,
            r.os.span(),
        )?;
        check_extension_after(
            &at,
            extended,
            security_until,
            r.extended_until.as_ref(),
            &key,
        )?;
        let mut editions = Vec::with_capacity(r.edition.len());
        let mut edition_names: HashMap<String, usize> = HashMap::new();
        for (j, e) in r.edition.iter().enumerate() {
            let ekey = format!("{key}.edition[{j}]");
            if e.editions.get_ref().is_empty() {
                return Err(at.err(
                    e.editions.span(),
                    format!("{ekey}.editions"),
                    "must list at least one edition id, e.g. `Enterprise`".into(),
                ));
            }
            for name in e.editions.get_ref() {
                let lower = name.trim().to_ascii_lowercase();
                if lower.is_empty() {
                    return Err(at.err(
                        e.editions.span(),
                        format!("{ekey}.editions"),
                        "holds an empty edition id".into(),
                    ));
                }
                if let Some(first) = edition_names.insert(lower, j) {
                    return Err(at.err(
                        e.editions.span(),
                        format!("{ekey}.editions"),
                        format!(
                            "edition `{}` is already listed in {key}.edition[{first}]",
                            name.trim()
                        ),
                    ));
                }
            }
            let until = at.date(&e.security_until, format!("{ekey}.security_until"))?;
            if until <= released {
                return Err(at.err(
                    e.security_until.span(),
                    format!("{ekey}.security_until"),
                    format!("{until} is not after the release date {released}"),
                ));
            }
            let own = at.extension(
                e.extended.as_ref(),
                e.extended_until.as_ref(),
                &ekey,
                e.editions.span(),
            )?;
            // An inherited extension must also outlast the edition's dates.
            let effective_until = own.or(extended);
            let until_span = e.extended_until.as_ref().or(r.extended_until.as_ref());
            check_extension_after(&at, effective_until, until, until_span, &ekey)?;
            editions.push(EditionDates {
                editions: e
                    .editions
                    .get_ref()
                    .iter()
                    .map(|s| s.trim().to_owned())
                    .collect(),
                name: e.name.as_ref().map(|n| n.trim().to_owned()),
                security_until: until,
                extended: own,
            });
        }
        releases.push(Release {
            os,
            version,
            name: r.name.get_ref().trim().to_owned(),
            released,
            security_until,
            extended,
            editions,
        });
    }
    Ok(Lifecycle {
        version: raw.version.get_ref().trim().to_owned(),
        published,
        sources: raw.sources,
        releases,
        source: String::new(),
        sha256: String::new(),
    })
}

fn check_extension_after(
    at: &At<'_>,
    extended: Option<ExtendedSupport>,
    security_until: Date,
    span: Option<&Spanned<Datetime>>,
    key: &str,
) -> Result<(), LifecycleError> {
    match (extended, span) {
        (Some(ext), Some(span)) if ext.until <= security_until => Err(at.err(
            span.span(),
            format!("{key}.extended_until"),
            format!(
                "{} is not after the end of regular security support {security_until}",
                ext.until
            ),
        )),
        _ => Ok(()),
    }
}
