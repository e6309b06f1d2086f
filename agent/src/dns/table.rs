//! A resolver that answers from a table: the pure seam the domain checks'
//! unit tests use. Names not in the table are NXDOMAIN; a name in the table
//! without the type asked is no data; a failure can be planted per name.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::answer::{normalise, Answer, Failure, Record, RecordType};
use super::Resolve;

#[derive(Debug, Default)]
pub struct Table {
    records: HashMap<(String, RecordType), Vec<Record>>,
    names: HashMap<String, ()>,
    failures: HashMap<(String, RecordType), Failure>,
    /// Questions asked, so tests can check lookup counts and caching.
    asked: AtomicUsize,
}

impl Table {
    pub fn new() -> Table {
        Table::default()
    }

    /// Adds a record for `name`.
    pub fn with(mut self, name: &str, record: Record) -> Table {
        let rtype = match &record {
            Record::A { .. } => RecordType::A,
            Record::Aaaa { .. } => RecordType::Aaaa,
            Record::Txt { .. } => RecordType::Txt,
            Record::Mx { .. } => RecordType::Mx,
            Record::Ptr { .. } => RecordType::Ptr,
            Record::Cname { .. } => RecordType::Cname,
            Record::Ns { .. } => RecordType::Ns,
            Record::Caa { .. } => RecordType::Caa,
            Record::Soa { .. } => RecordType::Soa,
        };
        let name = normalise(name);
        self.names.insert(name.clone(), ());
        self.records.entry((name, rtype)).or_default().push(record);
        self
    }

    /// Adds a TXT record.
    pub fn txt(self, name: &str, text: &str) -> Table {
        self.with(name, Record::Txt { text: text.into() })
    }

    /// Makes questions for `name` and `rtype` fail with `failure`.
    pub fn failing(mut self, name: &str, rtype: RecordType, failure: Failure) -> Table {
        self.failures.insert((normalise(name), rtype), failure);
        self
    }

    /// How many questions were asked.
    pub fn asked(&self) -> usize {
        self.asked.load(Ordering::Relaxed)
    }
}

impl Resolve for Table {
    async fn lookup(&self, name: &str, rtype: RecordType) -> Answer {
        self.asked.fetch_add(1, Ordering::Relaxed);
        let name = normalise(name);
        let outcome = if let Some(failure) = self.failures.get(&(name.clone(), rtype)) {
            Err(failure.clone())
        } else if let Some(records) = self.records.get(&(name.clone(), rtype)) {
            Ok(records.clone())
        } else if self.names.contains_key(&name) {
            Err(Failure::NoData)
        } else {
            Err(Failure::NxDomain)
        };
        Answer {
            name,
            rtype,
            outcome,
        }
    }

    fn describe(&self) -> String {
        "table".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_records_no_data_nxdomain_and_planted_failures() {
        let t = Table::new().txt("Example.test.", "v=spf1 -all").failing(
            "broken.test",
            RecordType::Txt,
            Failure::ServFail,
        );
        let a = t.lookup("example.test", RecordType::Txt).await;
        assert_eq!(a.texts().collect::<Vec<_>>(), ["v=spf1 -all"]);
        assert_eq!(a.summary(), "TXT example.test: \"v=spf1 -all\"");
        let a = t.lookup("example.test", RecordType::Mx).await;
        assert_eq!(a.outcome, Err(Failure::NoData));
        let a = t.lookup("nothing.test", RecordType::Txt).await;
        assert_eq!(a.outcome, Err(Failure::NxDomain));
        assert!(a.outcome.unwrap_err().is_empty_answer());
        let a = t.lookup("broken.test", RecordType::Txt).await;
        assert_eq!(a.summary(), "TXT broken.test: SERVFAIL");
        assert_eq!(t.asked(), 4);
    }
}
