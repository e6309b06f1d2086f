//! What `advisories import` and `advisories info` print: plain lines a
//! person can read and a script can grep.

use std::fmt;

use super::import::ImportSummary;
use super::index::Index;
use super::AdvisoryError;

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "imported {} records ({} replacing older ones); {} older than the index's copy, {} withdrawn, {} in ecosystems not assessed, {} unreadable",
            self.imported, self.replaced, self.older, self.withdrawn, self.skipped, self.invalid
        )?;
        for (ecosystem, counts) in &self.ecosystems {
            writeln!(
                f,
                "  {ecosystem}: {} imported, {} withdrawn",
                counts.imported, counts.withdrawn
            )?;
        }
        for (ecosystem, n) in &self.unassessed {
            writeln!(
                f,
                "  {ecosystem}: {n} records not assessed (ecosystem not supported)"
            )?;
        }
        Ok(())
    }
}

impl Index {
    /// Records per assessed ecosystem key, most first.
    pub fn ecosystem_counts(&self) -> Result<Vec<(String, u64)>, AdvisoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT ecosystem, count(DISTINCT advisory) AS n FROM affected
                 GROUP BY ecosystem ORDER BY n DESC, ecosystem",
            )
            .map_err(|source| AdvisoryError::Sqlite {
                path: self.path().to_owned(),
                source,
            })?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|source| AdvisoryError::Sqlite {
            path: self.path().to_owned(),
            source,
        })
    }

    /// `advisories info`: the data source line and the records per
    /// ecosystem.
    pub fn describe(&self) -> Result<String, AdvisoryError> {
        let source = self.data_source();
        let mut out = format!(
            "index {}\n  version {}\n  data dated {}\n  {} advisories\n",
            source.path,
            source.version.as_deref().unwrap_or("-"),
            source.date.as_deref().unwrap_or("- (no dated record)"),
            self.records()?,
        );
        if let Some(sha) = &source.sha256 {
            out.push_str(&format!("  sha256 of the imported data {sha}\n"));
        }
        for (ecosystem, n) in self.ecosystem_counts()? {
            out.push_str(&format!("  {ecosystem}: {n} advisories\n"));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_index_describes_its_ecosystems() {
        let index = Index::bundled().unwrap();
        let text = index.describe().unwrap();
        assert!(text.contains("  5 advisories\n"), "{text}");
        assert!(text.contains("Ubuntu:22.04: 3 advisories\n"), "{text}");
        assert!(text.contains("data dated 20"), "{text}");
    }
}
