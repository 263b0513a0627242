//! Stored payloads, compressed: zstd, optionally with a dictionary trained on payloads of the same
//! table (PDR §8; the design's base64 would have made them a third larger). A WHOOP payload is a
//! few hundred bytes of JSON whose keys repeat in every row: alone, zstd has little history to
//! match against; with a dictionary of those keys and typical values it has plenty.
//!
//! Every compressed payload names the dictionary it was made with (`None`: none), and
//! dictionaries are never replaced, only added under a new version, so every row stays readable.
//! The round trip is byte for byte: `decompress(compress(s)) == s`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use zstd::dict::{DecoderDictionary, EncoderDictionary};
use zstd::zstd_safe::{self, DCtx};

thread_local! {
    // One decompression context per thread, reused: creating one costs more than decompressing
    // a payload of a few hundred bytes.
    static DCTX: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
}

fn zstd_error(code: zstd_safe::ErrorCode) -> CodecError {
    CodecError::Zstd(std::io::Error::other(zstd_safe::get_error_name(code)))
}

/// The compression level: zstd's highest "normal" level. Payloads are written once and read
/// rarely (queries read columns), so compression time matters less than size; decompression
/// speed does not depend on the level.
pub const LEVEL: i32 = 19;

/// Fewer payloads than this train no dictionary (zstd's trainer needs material to find
/// repetition in; below it the table is small enough not to matter).
pub const MIN_SAMPLES: usize = 64;

/// The most payloads a dictionary is trained on, and its largest size.
const MAX_SAMPLES: usize = 4_000;
const DICT_BYTES: usize = 16 * 1024;

/// A trained dictionary, prepared for both directions.
pub struct Dictionary {
    pub version: i64,
    /// The table whose payloads it was trained on, and compresses.
    pub table: String,
    pub bytes: Vec<u8>,
    encoder: EncoderDictionary<'static>,
    decoder: DecoderDictionary<'static>,
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dictionary")
            .field("version", &self.version)
            .field("table", &self.table)
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl Dictionary {
    pub fn new(version: i64, table: &str, bytes: Vec<u8>) -> Result<Self, CodecError> {
        let encoder = EncoderDictionary::try_copy(&bytes, LEVEL).map_err(CodecError::Dictionary)?;
        let decoder = DecoderDictionary::try_copy(&bytes).map_err(CodecError::Dictionary)?;
        Ok(Self { version, table: table.to_owned(), bytes, encoder, decoder })
    }
}

/// A compressed payload and the dictionary it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compressed {
    pub bytes: Vec<u8>,
    pub dictionary: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("zstd: {0}")]
    Zstd(std::io::Error),
    #[error("zstd refused a dictionary: {0}")]
    Dictionary(std::io::Error),
    #[error("the payload needs dictionary {0}, which is not stored")]
    UnknownDictionary(i64),
    #[error("the payload does not say its size")]
    NoSize,
    #[error("the payload is not UTF-8 text")]
    NotText,
}

/// The dictionaries a database holds, by version, and the newest of each table.
#[derive(Debug, Default, Clone)]
pub struct Codec {
    by_version: HashMap<i64, Arc<Dictionary>>,
    newest: HashMap<String, i64>,
}

impl Codec {
    pub fn new(dictionaries: impl IntoIterator<Item = Dictionary>) -> Self {
        let mut res = Self::default();
        for dict in dictionaries {
            res.add(dict);
        }
        res
    }

    /// Adds a dictionary; the highest version of a table compresses its new payloads.
    pub fn add(&mut self, dict: Dictionary) {
        let newest = self.newest.entry(dict.table.clone()).or_insert(dict.version);
        *newest = (*newest).max(dict.version);
        self.by_version.insert(dict.version, Arc::new(dict));
    }

    /// The version that compresses `table`'s payloads now, if any.
    pub fn newest(&self, table: &str) -> Option<i64> {
        self.newest.get(table).copied()
    }

    /// Every version it holds, in order.
    pub fn versions(&self) -> Vec<i64> {
        let mut res: Vec<i64> = self.by_version.keys().copied().collect();
        res.sort_unstable();
        res
    }

    /// The highest version of any table (the next dictionary takes the one after).
    pub fn max_version(&self) -> i64 {
        self.by_version.keys().copied().max().unwrap_or(0)
    }

    /// Compresses payloads of `table` with its newest dictionary (one zstd context for all).
    /// Frames say their content size (decompression allocates once) and carry no checksum or
    /// dictionary id (the row names its dictionary).
    pub fn compress_all<S: AsRef<str>>(
        &self,
        table: &str,
        payloads: &[S],
    ) -> Result<Vec<Compressed>, CodecError> {
        let dict = self.newest(table).and_then(|v| self.by_version.get(&v));
        let mut compressor = match dict {
            Some(dict) => zstd::bulk::Compressor::with_prepared_dictionary(&dict.encoder),
            None => zstd::bulk::Compressor::new(LEVEL),
        }
        .map_err(CodecError::Zstd)?;
        compressor.include_contentsize(true).map_err(CodecError::Zstd)?;
        compressor.include_checksum(false).map_err(CodecError::Zstd)?;
        compressor.include_dictid(false).map_err(CodecError::Zstd)?;
        payloads
            .iter()
            .map(|raw| {
                let bytes =
                    compressor.compress(raw.as_ref().as_bytes()).map_err(CodecError::Zstd)?;
                Ok(Compressed { bytes, dictionary: dict.map(|it| it.version) })
            })
            .collect()
    }

    /// Compresses one payload of `table`.
    pub fn compress(&self, table: &str, payload: &str) -> Result<Compressed, CodecError> {
        let mut all = self.compress_all(table, &[payload])?;
        all.pop().ok_or(CodecError::NoSize)
    }

    /// The payload, exactly as it was given to `compress` (the thread's zstd context).
    pub fn decompress(&self, bytes: &[u8], dictionary: Option<i64>) -> Result<String, CodecError> {
        let dict = match dictionary {
            Some(v) => Some(self.by_version.get(&v).ok_or(CodecError::UnknownDictionary(v))?),
            None => None,
        };
        let size = zstd::bulk::Decompressor::upper_bound(bytes).ok_or(CodecError::NoSize)?;
        let mut out = Vec::with_capacity(size);
        DCTX.with_borrow_mut(|slot| {
            let dctx = slot.get_or_insert_with(DCtx::create);
            match dict {
                Some(d) => dctx.decompress_using_ddict(&mut out, bytes, d.decoder.as_ddict()),
                None => dctx.decompress(&mut out, bytes),
            }
            .map_err(zstd_error)
        })?;
        String::from_utf8(out).map_err(|_| CodecError::NotText)
    }
}

/// A dictionary trained on `samples` (at most the first 4,000), or `None` when there are fewer
/// than [`MIN_SAMPLES`] or zstd finds nothing worth keeping.
pub fn train<S: AsRef<str>>(samples: &[S]) -> Result<Option<Vec<u8>>, CodecError> {
    if samples.len() < MIN_SAMPLES {
        return Ok(None);
    }
    let samples: Vec<&[u8]> =
        samples.iter().take(MAX_SAMPLES).map(|it| it.as_ref().as_bytes()).collect();
    match zstd::dict::from_samples(&samples, DICT_BYTES) {
        Ok(dict) => Ok(Some(dict)),
        // The trainer fails on material without enough repetition; compress without one then.
        Err(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn payload(i: u32) -> String {
        format!(
            r#"{{"cycle_id":{c},"sleep_id":"{i:08x}-aaaa-4bbb-8ccc-{i:012x}","user_id":10007,"created_at":"2025-03-{d:02}T06:{m:02}:00.000Z","score_state":"SCORED","score":{{"user_calibrating":false,"recovery_score":{r},"resting_heart_rate":{h}.{m},"hrv_rmssd_milli":{v}.{d}}}}}"#,
            c = 93_845_000 + i,
            d = 1 + i % 28,
            m = i % 60,
            r = 20 + i % 79,
            h = 48 + i % 17,
            v = 30 + i % 80,
        )
    }

    #[test]
    fn a_trained_dictionary_makes_small_payloads_much_smaller() {
        let samples: Vec<String> = (0..500).map(payload).collect();
        let dict = train(&samples).expect("train").expect("enough samples");
        let codec = Codec::new([Dictionary::new(1, "whoop_recovery", dict).expect("dict")]);
        let plain = Codec::default();
        let fresh = payload(9_999);
        let with = codec.compress("whoop_recovery", &fresh).expect("compress");
        let without = plain.compress("whoop_recovery", &fresh).expect("compress");
        assert_eq!(with.dictionary, Some(1));
        assert_eq!(without.dictionary, None);
        assert!(
            with.bytes.len() * 2 < without.bytes.len(),
            "{} vs {}",
            with.bytes.len(),
            without.bytes.len()
        );
        assert_eq!(codec.decompress(&with.bytes, Some(1)).expect("round trip"), fresh);
        assert_eq!(plain.decompress(&without.bytes, None).expect("round trip"), fresh);
        assert!(matches!(
            plain.decompress(&with.bytes, Some(1)),
            Err(CodecError::UnknownDictionary(1))
        ));
    }

    #[test]
    fn too_few_samples_train_nothing() {
        let samples: Vec<String> = (0..10).map(payload).collect();
        assert!(train(&samples).expect("train").is_none());
    }

    #[test]
    fn old_versions_stay_readable_after_a_new_one() {
        let first = train(&(0..200).map(payload).collect::<Vec<_>>()).expect("t").expect("d");
        let second = train(&(500..700).map(payload).collect::<Vec<_>>()).expect("t").expect("d");
        let mut codec = Codec::new([Dictionary::new(1, "t", first).expect("d")]);
        let old = codec.compress("t", &payload(3)).expect("c");
        codec.add(Dictionary::new(2, "t", second).expect("d"));
        assert_eq!(codec.newest("t"), Some(2));
        assert_eq!(codec.decompress(&old.bytes, Some(1)).expect("old row"), payload(3));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn round_trips_any_text_byte_for_byte(text in "\\PC{0,400}", n in 0u32..1000) {
            let dict = train(&(0..100).map(payload).collect::<Vec<_>>()).expect("t").expect("d");
            let codec = Codec::new([Dictionary::new(7, "t", dict).expect("d")]);
            let raw = format!("{text}{}", payload(n));
            let packed = codec.compress("t", &raw).expect("compress");
            prop_assert_eq!(codec.decompress(&packed.bytes, packed.dictionary).expect("decompress"), raw);
        }
    }
}
