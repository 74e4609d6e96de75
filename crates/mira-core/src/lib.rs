//! Shared vocabulary of Mira: configuration, secrets, identifiers, API error codes and
//! the reading of WebSocket client frames.
//!
//! This crate does no network or database I/O. Reading configuration files and the
//! environment happens in [`config::load`]; everything else is pure.
//!
//! ```
//! use mira_core::config::{Config, Sources};
//! let config = Config::from_sources(&Sources::default()).unwrap();
//! assert_eq!(config.server.port, 3001);
//! ```

pub mod config;
pub mod error;
pub mod secret;
pub mod ws_protocol;

pub use config::Config;
pub use error::ErrorCode;
pub use secret::Secret;

/// The version of Mira, as shown by `mira --version`, `/health` and the WebSocket hello.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
