//! Bearer-token authentication: HS256 JWTs with the configured secret, `sub` = the user's id,
//! `exp` required. The verified user is the only identity resolvers ever see.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use query::UserId;
use serde::{Deserialize, Serialize};

/// The claims this gateway issues and accepts.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
}

/// Verifies (and, for development, issues) tokens.
#[derive(Clone)]
pub struct Auth {
    decoding: DecodingKey,
    encoding: EncodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Auth { secret: *** }")
    }
}

/// Why a request is not authenticated. Clients see only `UNAUTHENTICATED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("invalid or expired token")]
    Invalid,
}

impl Auth {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 0;
        Self {
            decoding: DecodingKey::from_secret(secret),
            encoding: EncodingKey::from_secret(secret),
            validation,
        }
    }

    /// The user an `Authorization` header value authenticates.
    pub fn verify(&self, header: Option<&str>) -> Result<UserId, AuthError> {
        let token = header.and_then(|h| h.strip_prefix("Bearer ")).ok_or(AuthError::Missing)?;
        let data = decode::<Claims>(token.trim(), &self.decoding, &self.validation)
            .map_err(|_| AuthError::Invalid)?;
        data.claims.sub.parse::<i64>().map(UserId).map_err(|_| AuthError::Invalid)
    }

    /// A token for `user` valid for `ttl_seconds` (development and tests).
    pub fn token_for(&self, user: UserId, ttl_seconds: i64) -> String {
        let claims = Claims { sub: user.0.to_string(), exp: Utc::now().timestamp() + ttl_seconds };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default()
    }
}
