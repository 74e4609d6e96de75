//! The accept loop, in place of `axum::serve`, for the two things it lacks: a time limit
//! on request headers (without one, a connection that never finishes its headers stays
//! open forever) and the connection cap of [`crate::connection_slots`]. What `axum::serve`
//! gave is kept: HTTP/1.1 with upgrades (WebSockets), `ConnectInfo<SocketAddr>` on every
//! request, and a graceful shutdown that stops accepting, lets requests in flight finish
//! and waits for every connection to close.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::Service;

use crate::connection_slots::{Slot, Slots};

/// How long to pause after an accept error that is not the client's (out of descriptors,
/// say) before trying again, so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// MIRA_HEADER_TIMEOUT_SECS: hyper starts this timer whenever it waits for a request
    /// head, on a new connection or after a response on a kept-alive one, so it is the
    /// idle timeout of kept-alive connections too.
    pub header_timeout: Duration,
    /// MIRA_MAX_CONNECTIONS, or the default derived from the open-file limit.
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `stop` is cancelled, then returns once every
/// connection (WebSockets included) has closed.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, stop: CancellationToken) {
    let slots = Slots::new(limits.max_connections);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    loop {
        let (stream, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    if !is_the_clients(&error) {
                        tracing::warn!(%error, "cannot accept a connection");
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    }
                    continue;
                }
            },
        };
        // At the cap this evicts a connection that sent nothing, or waits for a close; the
        // connections still queued meanwhile stay in the kernel, holding none of our
        // descriptors.
        let (slot, evicted) = tokio::select! {
            _ = stop.cancelled() => break,
            taken = slots.take() => taken,
        };
        let connection = Connection {
            http: http.clone(),
            app: app.clone(),
            slots: slots.clone(),
            peer,
            evicted,
            stop: stop.clone(),
        };
        tokio::spawn(connection.serve(stream, slot));
    }
    drop(listener);
    slots.all_closed().await;
}

/// Errors of one connection that went away before it was accepted; the next accept is fine.
fn is_the_clients(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    )
}

struct Connection {
    http: http1::Builder,
    app: Router,
    slots: Arc<Slots>,
    peer: SocketAddr,
    evicted: CancellationToken,
    stop: CancellationToken,
}

impl Connection {
    async fn serve(self, stream: TcpStream, slot: Slot) {
        let Self {
            http,
            app,
            slots,
            peer,
            evicted,
            stop,
        } = self;
        let slot_id = slot.id();
        let first_request = AtomicBool::new(true);
        let service = service_fn(move |mut request: hyper::Request<Incoming>| {
            if first_request.swap(false, Ordering::Relaxed) {
                slots.sent_a_request(slot_id);
            }
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().call(request)
        });
        let io = TokioIo::new(SlottedStream { stream, _slot: slot });
        let connection = http.serve_connection(io, service).with_upgrades();
        tokio::pin!(connection);
        tokio::select! {
            result = connection.as_mut() => return log_end(result, peer),
            // Dropping the connection closes its socket and frees its slot.
            _ = evicted.cancelled() => return,
            _ = stop.cancelled() => {}
        }
        // Shutting down: an idle connection closes now, one with a request in flight
        // after its response.
        connection.as_mut().graceful_shutdown();
        log_end(connection.await, peer);
    }
}

fn log_end(result: Result<(), hyper::Error>, peer: SocketAddr) {
    if let Err(error) = result {
        // Header timeouts, malformed requests and clients that hang up all end here;
        // none is the server's fault.
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}

/// A client socket together with its place under the connection cap, so the place is
/// held exactly as long as the socket is open, also after an upgrade to a WebSocket.
struct SlottedStream {
    stream: TcpStream,
    _slot: Slot,
}

impl AsyncRead for SlottedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SlottedStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
