//! An RPM header as rpm's sqlite database stores it: the header without
//! its 8-byte magic. Layout (all integers big-endian):
//!
//! ```text
//! u32 index_count, u32 data_length,
//! index_count × { u32 tag, u32 type, u32 offset, u32 count },
//! data_length bytes of data store
//! ```
//!
//! Only the handful of tags an inventory needs are read. Every offset is
//! checked against the data store: a hostile or truncated blob gives a
//! [`HeaderError`], never a panic or an out-of-bounds read.

/// `RPMTAG_NAME`.
pub const NAME: u32 = 1000;
/// `RPMTAG_VERSION`.
pub const VERSION: u32 = 1001;
/// `RPMTAG_RELEASE`.
pub const RELEASE: u32 = 1002;
/// `RPMTAG_EPOCH` (INT32).
pub const EPOCH: u32 = 1003;
/// `RPMTAG_ARCH`.
pub const ARCH: u32 = 1022;
/// `RPMTAG_SOURCERPM`: `name-version-release.src.rpm`.
pub const SOURCERPM: u32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's own limits (`hdrblobVerifyInfo`): no real header comes near them,
/// and they keep the size arithmetic far from overflow.
const MAX_ENTRIES: u32 = 0x0000_ffff;
const MAX_DATA: u32 = 0x0fff_ffff;

/// What is wrong with a header blob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the header is {0} bytes, shorter than its 8-byte preamble")]
    Short(usize),
    #[error(
        "the header declares {entries} index entries and {data} data bytes, beyond rpm's limits"
    )]
    TooLarge { entries: u32, data: u32 },
    #[error("the header declares {entries} index entries and {data} data bytes, which need {needed} bytes, but it is {actual}")]
    Truncated {
        entries: u32,
        data: u32,
        needed: usize,
        actual: usize,
    },
    #[error("tag {tag}: offset {offset} lies outside the {size}-byte data store")]
    Offset { tag: u32, offset: u32, size: usize },
    #[error("tag {tag}: the string has no terminating NUL")]
    Unterminated { tag: u32 },
    #[error("tag {tag}: the string is not UTF-8")]
    NotUtf8 { tag: u32 },
    #[error("tag {tag} has type {found}, expected {expected}")]
    Type {
        tag: u32,
        found: u32,
        expected: &'static str,
    },
    #[error("tag {tag} is missing")]
    Missing { tag: u32 },
}

/// One index entry.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: u32,
}

/// A parsed header: its index and data store, borrowed from the blob.
#[derive(Debug)]
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let chunk = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(chunk.try_into().ok()?))
}

impl<'a> Header<'a> {
    /// Reads the preamble and index; entries are checked when read.
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, HeaderError> {
        let (Some(count), Some(data_len)) = (be32(blob, 0), be32(blob, 4)) else {
            return Err(HeaderError::Short(blob.len()));
        };
        if count > MAX_ENTRIES || data_len > MAX_DATA {
            return Err(HeaderError::TooLarge {
                entries: count,
                data: data_len,
            });
        }
        // Cannot overflow: both are bounded above.
        let index_end = 8 + count as usize * 16;
        let needed = index_end + data_len as usize;
        if blob.len() < needed {
            return Err(HeaderError::Truncated {
                entries: count,
                data: data_len,
                needed,
                actual: blob.len(),
            });
        }
        let entries = blob[8..index_end]
            .chunks_exact(16)
            .map(|e| Entry {
                tag: be32(e, 0).unwrap_or_default(),
                kind: be32(e, 4).unwrap_or_default(),
                offset: be32(e, 8).unwrap_or_default(),
            })
            .collect();
        Ok(Header {
            entries,
            data: &blob[index_end..needed],
        })
    }

    /// The entry for `tag`. When a tag appears twice the later one wins,
    /// as in rpm, where entries appended after the signed region override
    /// it.
    fn entry(&self, tag: u32) -> Option<Entry> {
        self.entries.iter().rev().find(|e| e.tag == tag).copied()
    }

    /// A string tag (the first string of an i18n or array one); `None`
    /// when absent.
    pub fn string(&self, tag: u32) -> Result<Option<&'a str>, HeaderError> {
        let Some(entry) = self.entry(tag) else {
            return Ok(None);
        };
        if ![TYPE_STRING, TYPE_I18NSTRING, TYPE_STRING_ARRAY].contains(&entry.kind) {
            return Err(HeaderError::Type {
                tag,
                found: entry.kind,
                expected: "string",
            });
        }
        let rest = self.data_at(entry)?;
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(HeaderError::Unterminated { tag })?;
        std::str::from_utf8(&rest[..end])
            .map(Some)
            .map_err(|_| HeaderError::NotUtf8 { tag })
    }

    /// The first value of an INT32 tag; `None` when absent.
    pub fn int32(&self, tag: u32) -> Result<Option<u32>, HeaderError> {
        let Some(entry) = self.entry(tag) else {
            return Ok(None);
        };
        if entry.kind != TYPE_INT32 {
            return Err(HeaderError::Type {
                tag,
                found: entry.kind,
                expected: "int32",
            });
        }
        be32(self.data_at(entry)?, 0)
            .map(Some)
            .ok_or(HeaderError::Offset {
                tag,
                offset: entry.offset,
                size: self.data.len(),
            })
    }

    /// The string tag that must be there.
    pub fn required(&self, tag: u32) -> Result<&'a str, HeaderError> {
        self.string(tag)?.ok_or(HeaderError::Missing { tag })
    }

    fn data_at(&self, entry: Entry) -> Result<&'a [u8], HeaderError> {
        self.data
            .get(entry.offset as usize..)
            .filter(|rest| !rest.is_empty())
            .ok_or(HeaderError::Offset {
                tag: entry.tag,
                offset: entry.offset,
                size: self.data.len(),
            })
    }
}

/// The fields of one installed package's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmHeader {
    pub name: String,
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
}

impl RpmHeader {
    /// Reads a blob from the `Packages` table.
    pub fn from_blob(blob: &[u8]) -> Result<RpmHeader, HeaderError> {
        let header = Header::parse(blob)?;
        Ok(RpmHeader {
            name: header.required(NAME)?.to_owned(),
            epoch: header.int32(EPOCH)?,
            version: header.required(VERSION)?.to_owned(),
            release: header.required(RELEASE)?.to_owned(),
            arch: header.string(ARCH)?.map(str::to_owned),
            source_rpm: header.string(SOURCERPM)?.map(str::to_owned),
        })
    }

    /// `[epoch:]version-release`, as `rpm -q --qf
    /// '%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}'` writes it.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(epoch) => format!("{epoch}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

/// The source package's name from a `SOURCERPM` value: the file name less
/// `-version-release.src.rpm`. Version and release never hold a hyphen,
/// the name may, so the last two hyphens split it.
pub fn source_name(source_rpm: &str) -> Option<&str> {
    let stem = source_rpm
        .strip_suffix(".src.rpm")
        .or_else(|| source_rpm.strip_suffix(".nosrc.rpm"))?;
    let mut parts = stem.rsplitn(3, '-');
    let (_release, _version, name) = (parts.next()?, parts.next()?, parts.next()?);
    Some(name).filter(|n| !n.is_empty())
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A header blob of `(tag, type, value)` entries; strings are
    /// NUL-terminated, INT32s aligned.
    pub fn blob(entries: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for &(tag, kind, value) in entries {
            if kind == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            for word in [tag, kind, data.len() as u32, 1] {
                index.extend_from_slice(&word.to_be_bytes());
            }
            data.extend_from_slice(value);
            if kind != TYPE_INT32 {
                data.push(0);
            }
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    pub fn openssl_libs() -> Vec<u8> {
        blob(&[
            (NAME, TYPE_STRING, b"openssl-libs"),
            (VERSION, TYPE_STRING, b"3.0.7"),
            (RELEASE, TYPE_STRING, b"27.el9"),
            (EPOCH, TYPE_INT32, &1u32.to_be_bytes()),
            (ARCH, TYPE_STRING, b"x86_64"),
            (SOURCERPM, TYPE_STRING, b"openssl-3.0.7-27.el9.src.rpm"),
        ])
    }

    #[test]
    fn reads_the_fields_of_a_header() {
        let header = RpmHeader::from_blob(&openssl_libs()).unwrap();
        assert_eq!(header.name, "openssl-libs");
        assert_eq!(header.evr(), "1:3.0.7-27.el9");
        assert_eq!(header.arch.as_deref(), Some("x86_64"));
        assert_eq!(
            source_name(header.source_rpm.as_deref().unwrap()),
            Some("openssl")
        );
        let no_epoch = blob(&[
            (NAME, TYPE_STRING, b"bash"),
            (VERSION, TYPE_STRING, b"5.1.8"),
            (RELEASE, TYPE_I18NSTRING, b"9.el9"),
        ]);
        assert_eq!(
            RpmHeader::from_blob(&no_epoch).unwrap().evr(),
            "5.1.8-9.el9"
        );
    }

    #[test]
    fn source_names() {
        assert_eq!(
            source_name("python3.11-3.11.5-1.el9_3.src.rpm"),
            Some("python3.11")
        );
        assert_eq!(
            source_name("kernel-rt-5.14.0-362.8.1.el9_3.src.rpm"),
            Some("kernel-rt")
        );
        assert_eq!(source_name("x.nosrc.rpm"), None);
        assert_eq!(source_name("(none)"), None);
    }

    #[test]
    fn hostile_headers_are_errors() {
        assert_eq!(
            Header::parse(&[0, 0, 0]).unwrap_err(),
            HeaderError::Short(3)
        );
        let mut huge = openssl_libs();
        huge[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            Header::parse(&huge),
            Err(HeaderError::TooLarge { .. })
        ));
        let good = openssl_libs();
        assert!(matches!(
            Header::parse(&good[..good.len() - 1]),
            Err(HeaderError::Truncated { .. })
        ));
        // An offset past the data store.
        let mut bad = good.clone();
        bad[8 + 8..8 + 12].copy_from_slice(&10_000u32.to_be_bytes());
        assert!(matches!(
            RpmHeader::from_blob(&bad),
            Err(HeaderError::Offset { tag: NAME, .. })
        ));
        // A string without its NUL: the last entry's string is cut.
        let mut cut = blob(&[(NAME, TYPE_STRING, b"abc")]);
        cut.pop();
        let len = cut.len() as u32 - 8 - 16;
        cut[4..8].copy_from_slice(&len.to_be_bytes());
        assert_eq!(
            Header::parse(&cut).unwrap().string(NAME).unwrap_err(),
            HeaderError::Unterminated { tag: NAME }
        );
        // The wrong type, and a missing required tag.
        let wrong = blob(&[(NAME, TYPE_INT32, &7u32.to_be_bytes())]);
        assert!(matches!(
            RpmHeader::from_blob(&wrong),
            Err(HeaderError::Type { .. })
        ));
        let nameless = blob(&[(VERSION, TYPE_STRING, b"1")]);
        assert_eq!(
            RpmHeader::from_blob(&nameless).unwrap_err(),
            HeaderError::Missing { tag: NAME }
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Random bytes never panic.
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = RpmHeader::from_blob(&bytes);
        }

        /// Neither does a real header with bytes changed, cut or grown.
        #[test]
        fn mutated_headers_never_panic(
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            let mut bytes = openssl_libs();
            for (at, value) in flips {
                let at = at % bytes.len();
                bytes[at] = value;
            }
            bytes.truncate(cut % (bytes.len() + 1));
            let _ = RpmHeader::from_blob(&bytes);
        }
    }
}
