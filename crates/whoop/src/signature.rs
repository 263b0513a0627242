//! WHOOP's webhook signature: `X-WHOOP-Signature` is the base64 of HMAC-SHA256, keyed by the
//! app's client secret, over the `X-WHOOP-Signature-Timestamp` header's value (epoch
//! milliseconds) followed by the raw body. A delivery is accepted within [`WINDOW_MS`] of its
//! timestamp, either way, so a captured delivery cannot be replayed later.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a delivery's timestamp may be from now: 5 minutes.
pub const WINDOW_MS: i64 = 5 * 60 * 1000;

/// Why a delivery is refused (every one is HTTP 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the X-WHOOP-Signature or X-WHOOP-Signature-Timestamp header is missing")]
    Missing,
    #[error("the signature does not match the body")]
    Invalid,
    #[error("the timestamp is more than 5 minutes from now")]
    Stale,
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.as_bytes());
    mac.update(body);
    mac
}

/// The signature WHOOP would send (for tests, the load generator and replays).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// Checks a delivery: the signature first, compared in constant time (`Mac::verify_slice`), then
/// the timestamp against `now_ms`. A timestamp that is not an integer cannot have been signed by
/// WHOOP and is `Invalid`.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_ms: i64,
) -> Result<(), Rejection> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(Rejection::Missing);
    };
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return Err(Rejection::Invalid);
    };
    mac(secret, timestamp, body).verify_slice(&given).map_err(|_| Rejection::Invalid)?;
    let at: i64 = timestamp.trim().parse().map_err(|_| Rejection::Invalid)?;
    if (now_ms - at).abs() > WINDOW_MS {
        return Err(Rejection::Stale);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whoop-client-secret";
    const NOW: i64 = 1_764_000_000_000;

    type Case<'a> = (&'a str, Option<&'a str>, Option<String>, &'a [u8], Result<(), Rejection>);

    #[test]
    fn accepts_what_it_signs_and_refuses_everything_else() {
        let body = br#"{"user_id":1,"id":"a","type":"sleep.updated","trace_id":"t"}"#;
        let ts = NOW.to_string();
        let good = sign(SECRET, &ts, body);
        assert_eq!(verify(SECRET, Some(&ts), Some(&good), body, NOW), Ok(()));
        let stale = (NOW - WINDOW_MS - 1).to_string();
        let future = (NOW + WINDOW_MS + 1).to_string();
        let edge = (NOW - WINDOW_MS).to_string();
        let cases: [Case<'_>; 9] = [
            ("no signature", Some(&ts), None, body, Err(Rejection::Missing)),
            ("no timestamp", None, Some(good.clone()), body, Err(Rejection::Missing)),
            ("other body", Some(&ts), Some(good.clone()), b"{}", Err(Rejection::Invalid)),
            (
                "other key",
                Some(&ts),
                Some(sign(b"other", &ts, body)),
                body,
                Err(Rejection::Invalid),
            ),
            ("not base64", Some(&ts), Some("%%%".to_owned()), body, Err(Rejection::Invalid)),
            ("other timestamp", Some("1"), Some(good), body, Err(Rejection::Invalid)),
            ("stale", Some(&stale), Some(sign(SECRET, &stale, body)), body, Err(Rejection::Stale)),
            (
                "future",
                Some(&future),
                Some(sign(SECRET, &future, body)),
                body,
                Err(Rejection::Stale),
            ),
            ("at the edge", Some(&edge), Some(sign(SECRET, &edge, body)), body, Ok(())),
        ];
        for (name, ts, sig, body, want) in cases {
            assert_eq!(verify(SECRET, ts, sig.as_deref(), body, NOW), want, "{name}");
        }
    }

    #[test]
    fn a_known_vector() {
        // HMAC-SHA256("key", "1000" + "body"), checked against `openssl dgst -sha256 -hmac key`.
        assert_eq!(sign(b"key", "1000", b"body"), "wM/PJztofVjEcFnBLlTCT9Cj1voFCUKHavQ96m7o1vY=");
    }
}
