//! Access control: a signing secret and an access token, both created on first start
//! and kept in the data dir with 0600 permissions. Every `/api` and `/ws` request must
//! carry a valid, unexpired token (HS256 JWT).
//!
//! The keys live in memory behind a lock, so a rotation (`POST /api/token/rotate`, which
//! `mira token --rotate` calls when a server runs) takes effect on the next request
//! without re-reading any file; each rotation also bumps a counter that open WebSocket
//! sessions watch, so sessions opened with an earlier token are closed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use mira_core::ErrorCode;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

const SECRET_FILE: &str = "secret.key";
const TOKEN_FILE: &str = "token";
/// Prefix of the WebSocket subprotocol that carries the token: browsers cannot set an
/// Authorization header on a WebSocket, and a query parameter would reach access logs.
pub const WS_TOKEN_PROTOCOL_PREFIX: &str = "mira.token.";
/// A stored token this close to expiry is replaced when the server starts.
const RENEW_BEFORE: Duration = Duration::from_secs(86_400);

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

#[derive(Clone)]
pub struct Auth {
    keys: Arc<RwLock<Arc<Keys>>>,
    /// How many times the keys were rotated in this process; WebSocket sessions watch it.
    rotations: Arc<tokio::sync::watch::Sender<u64>>,
    /// Serializes rotations, so the secret file and the keys in memory always agree.
    rotating: Arc<Mutex<()>>,
}

struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    data_dir: PathBuf,
    ttl: Duration,
}

impl Keys {
    fn new(secret: &[u8], data_dir: &Path, ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            data_dir: data_dir.to_path_buf(),
            ttl,
        }
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Auth(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(
        "missing access token: send `Authorization: Bearer <token>`; `mira token` prints a URL with a valid one"
    )]
    Missing,
    #[error("access token has expired: `mira token` prints a URL with a new one")]
    Expired,
    #[error("access token is not valid for this server: `mira token` prints a URL with a valid one")]
    Invalid,
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError::new(ErrorCode::Unauthorized, e.to_string())
    }
}

/// Writes `contents` to `path` readable by the owner only, atomically (temp file, fsync,
/// rename), so a crash never leaves a half-written secret.
pub(crate) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    mira_store::private::create_dir(dir)?;
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(contents.as_bytes())?;
    tmp.1.sync_all()?;
    std::fs::rename(&tmp.0, path)?;
    Ok(())
}

fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let name = format!(".tmp-{}-{}", std::process::id(), uuid::Uuid::new_v4());
    let path = dir.join(name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path)?;
    Ok((path, file))
}

fn random_secret() -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Auth {
    /// Loads the signing secret from the data dir, creating it on first start.
    pub fn load_or_create(data_dir: &Path, ttl: Duration) -> std::io::Result<Self> {
        let path = data_dir.join(SECRET_FILE);
        let secret = match std::fs::read_to_string(&path) {
            Ok(text) => STANDARD.decode(text.trim()).map_err(|e| {
                std::io::Error::other(format!(
                    "{} is damaged ({e}); delete it and run `mira token` to create a new secret (old tokens stop working)",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = random_secret()?;
                write_private(&path, &STANDARD.encode(&secret))?;
                secret
            }
            Err(e) => return Err(e),
        };
        Ok(Self::from_secret(&secret, data_dir, ttl))
    }

    fn from_secret(secret: &[u8], data_dir: &Path, ttl: Duration) -> Self {
        Self {
            keys: Arc::new(RwLock::new(Arc::new(Keys::new(secret, data_dir, ttl)))),
            rotations: Arc::new(tokio::sync::watch::Sender::new(0)),
            rotating: Arc::default(),
        }
    }

    fn keys(&self) -> Arc<Keys> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Rotates the secret of this running instance: stores a new secret and token, then
    /// swaps the keys in memory, so the old token is refused and the new one accepted
    /// from the next request on, and tells WebSocket sessions (see [`Self::rotations`]).
    /// Returns the new token.
    pub fn rotate_in_place(&self) -> std::io::Result<String> {
        let _one_at_a_time = self.rotating.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.keys();
        let secret = random_secret()?;
        write_private(&old.data_dir.join(SECRET_FILE), &STANDARD.encode(&secret))?;
        let keys = Arc::new(Keys::new(&secret, &old.data_dir, old.ttl));
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys;
        let token = self.issue_and_store()?;
        self.rotations.send_modify(|n| *n += 1);
        Ok(token)
    }

    /// A receiver that sees every later rotation: a session opened with a token of the
    /// current keys subscribes before its token is checked and closes on a change.
    pub fn rotations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.rotations.subscribe()
    }

    /// Replaces the secret, which invalidates every token issued so far, and stores a
    /// new token.
    pub fn rotate(data_dir: &Path, ttl: Duration) -> std::io::Result<(Self, String)> {
        let secret = random_secret()?;
        write_private(&data_dir.join(SECRET_FILE), &STANDARD.encode(&secret))?;
        let auth = Self::from_secret(&secret, data_dir, ttl);
        let token = auth.issue_and_store()?;
        Ok((auth, token))
    }

    /// A token valid for `ttl` from `issued_at` (seconds since the epoch).
    pub fn issue_at(&self, issued_at: i64, ttl: Duration) -> String {
        let claims = Claims {
            sub: "mira-user".into(),
            iat: issued_at,
            exp: issued_at + ttl.as_secs() as i64,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.keys().encoding)
            .expect("HS256 encoding of plain claims cannot fail")
    }

    fn issue_and_store(&self) -> std::io::Result<String> {
        let keys = self.keys();
        let token = self.issue_at(now(), keys.ttl);
        write_private(&keys.data_dir.join(TOKEN_FILE), &token)?;
        Ok(token)
    }

    /// The stored token if it is valid and not about to expire; otherwise a new one,
    /// stored for next time.
    pub fn current_token(&self) -> std::io::Result<String> {
        if let Ok(text) = std::fs::read_to_string(self.keys().data_dir.join(TOKEN_FILE)) {
            let token = text.trim().to_string();
            if let Ok(claims) = self.verify(&token)
                && claims.exp - now() > RENEW_BEFORE.as_secs() as i64
            {
                return Ok(token);
            }
        }
        self.issue_and_store()
    }

    /// The id (`jti`) of the valid token a request carries, read and checked as
    /// [`require_token`] does; `None` without one. The rate limiter keys on it, so no
    /// map holds a token.
    pub fn token_id(&self, headers: &HeaderMap) -> Option<String> {
        let token = token_from_headers(headers)?;
        self.verify(&token).ok().map(|claims| claims.jti)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.keys().decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid,
            })
    }
}

/// The token a request carries: `Authorization: Bearer`, or for WebSockets a
/// `mira.token.<jwt>` subprotocol.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let value = value.trim();
        if let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        {
            return Some(token.trim().to_string());
        }
    }
    headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| {
            p.trim()
                .strip_prefix(WS_TOKEN_PROTOCOL_PREFIX)
                .map(str::to_string)
        })
}

/// The access URL printed at start-up and by `mira token`. The token is in the
/// fragment, which browsers never send to the server, so it stays out of access logs.
pub fn access_url(addr: std::net::SocketAddr, token: &str) -> String {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    format!("http://{host}:{}/#token={token}", addr.port())
}

/// Middleware: refuses requests without a valid token with 401 and a JSON body.
pub async fn require_token(
    State(auth): State<Auth>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let token = token_from_headers(request.headers()).ok_or(AuthError::Missing)?;
    auth.verify(&token)?;
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_and_token_files_are_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let auth = Auth::load_or_create(dir.path(), Duration::from_secs(30 * 86_400)).unwrap();
        let token = auth.current_token().unwrap();
        assert!(auth.verify(&token).is_ok());
        #[cfg(unix)]
        for file in [SECRET_FILE, TOKEN_FILE] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        let again = Auth::load_or_create(dir.path(), Duration::from_secs(30 * 86_400)).unwrap();
        assert_eq!(again.current_token().unwrap(), token);
    }

    #[test]
    fn expired_wrong_and_rotated_tokens_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ttl = Duration::from_secs(3600);
        let auth = Auth::load_or_create(dir.path(), ttl).unwrap();
        let expired = auth.issue_at(now() - 7200, ttl);
        assert!(matches!(auth.verify(&expired), Err(AuthError::Expired)));
        assert!(matches!(auth.verify("not.a.jwt"), Err(AuthError::Invalid)));

        let other_dir = tempfile::tempdir().unwrap();
        let stranger = Auth::load_or_create(other_dir.path(), ttl).unwrap();
        assert!(matches!(
            auth.verify(&stranger.current_token().unwrap()),
            Err(AuthError::Invalid)
        ));

        let old = auth.current_token().unwrap();
        let (rotated, new) = Auth::rotate(dir.path(), ttl).unwrap();
        assert!(rotated.verify(&new).is_ok());
        assert!(matches!(rotated.verify(&old), Err(AuthError::Invalid)));
    }

    #[test]
    fn rotating_in_place_swaps_the_keys_at_once_and_tells_watchers() {
        let dir = tempfile::tempdir().unwrap();
        let ttl = Duration::from_secs(30 * 86_400);
        let auth = Auth::load_or_create(dir.path(), ttl).unwrap();
        let old = auth.current_token().unwrap();
        let watcher = auth.rotations();
        let new = auth.rotate_in_place().unwrap();
        assert!(matches!(auth.verify(&old), Err(AuthError::Invalid)));
        assert!(auth.verify(&new).is_ok());
        assert!(watcher.has_changed().unwrap());
        // What is stored is what the running instance uses.
        let reloaded = Auth::load_or_create(dir.path(), ttl).unwrap();
        assert_eq!(reloaded.current_token().unwrap(), new);
    }

    #[test]
    fn token_is_read_from_bearer_header_or_ws_subprotocol() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, "Bearer abc.def.ghi".parse().unwrap());
        assert_eq!(token_from_headers(&headers).as_deref(), Some("abc.def.ghi"));
        let mut headers = HeaderMap::new();
        headers.insert(
            SEC_WEBSOCKET_PROTOCOL,
            "mira.v1, mira.token.x.y.z".parse().unwrap(),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("x.y.z"));
        assert_eq!(token_from_headers(&HeaderMap::new()), None);
    }

    #[test]
    fn access_url_carries_the_token_in_the_fragment() {
        let url = access_url("0.0.0.0:3001".parse().unwrap(), "t0k");
        assert_eq!(url, "http://127.0.0.1:3001/#token=t0k");
    }
}
