//! The WebSocket endpoint `/ws`: a versioned JSON protocol (docs/protocol.md).

mod agent;
mod chat;
mod protocol;
mod session;

pub use protocol::{ClientFrame, PROTOCOL_VERSION, SUBPROTOCOL, ServerFrame, parse_client_frame};
pub use session::upgrade;
