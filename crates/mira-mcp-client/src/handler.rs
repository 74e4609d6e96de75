//! The client side of one connection: who Mira says it is, and the list-changed
//! notifications, which ask the server's supervisor to list again.

use rmcp::ClientHandler;
use rmcp::model::{ClientCapabilities, ClientConfig, Implementation, ProtocolVersion};
use rmcp::service::{NotificationContext, RoleClient};
use tokio::sync::mpsc::UnboundedSender;

/// Which list a server said has changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListKind {
    Tools,
    Prompts,
    Resources,
}

pub(crate) struct Handler {
    relist: UnboundedSender<ListKind>,
}

impl Handler {
    pub(crate) fn new(relist: UnboundedSender<ListKind>) -> Self {
        Self { relist }
    }
}

impl ClientHandler for Handler {
    fn get_info(&self) -> ClientConfig {
        // The newest version with an `initialize` handshake: what servers in the field
        // speak. rmcp's default is a draft revision without it.
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("mira", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }

    // The listing is the supervisor's: it owns the connection's lists and lists one thing at
    // a time, so an older answer never overwrites a newer one. A closed channel means the
    // connection is being torn down; nothing is left to refresh.
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.relist.send(ListKind::Tools);
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.relist.send(ListKind::Prompts);
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.relist.send(ListKind::Resources);
    }
}
