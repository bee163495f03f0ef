//! Accepted connections that a handler can cut: every socket the server accepts is
//! wrapped in a [`CuttableIo`] sharing a [`Cutoff`] with the [`Connections`] registry,
//! where a handler finds the cutoff of its own request's connection.
//!
//! Why: a streamed body that fails cannot end its HTTP/1.1 transfer abnormally by
//! itself under poem 3.1. Hyper drops the failing body, but poem polls the
//! connection again for its graceful shutdown and hyper then ends the chunked body
//! normally (`0\r\n\r\n`), so a cut file looks complete. Once cut, the socket takes
//! no more bytes and the connection closes: the client sees a transfer that ended
//! without its terminating chunk, which every client reports as an error.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use poem::Request;
use poem::http::Version;
use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The switch of one connection: once cut, its socket refuses reads and writes.
#[derive(Default)]
pub struct Cutoff {
    cut: AtomicBool,
    /// The connection's task when it waits on the socket, woken by `cut`.
    waiting: AtomicWaker,
}

impl Cutoff {
    /// Cuts the connection: nothing more is written to it (not even what the server
    /// has buffered), and the task serving it is woken to close it. Never blocks.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.waiting.wake();
    }

    fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}

/// Both ends of a TCP connection: unique among the connections open at once.
type Key = (SocketAddr, SocketAddr);

/// The cutoffs of the open connections, by their addresses.
#[derive(Default)]
pub struct Connections {
    open: Mutex<HashMap<Key, Arc<Cutoff>>>,
}

impl Connections {
    /// The cutoff of the connection that carries `req`, when it is an HTTP/1
    /// connection accepted by a [`CuttableAcceptor`]. HTTP/2 has none: a failing
    /// body there resets its own stream, and cutting would end the others.
    pub fn cutoff(&self, req: &Request) -> Option<Arc<Cutoff>> {
        if req.version() >= Version::HTTP_2 {
            return None;
        }
        let key = key(req.local_addr(), req.remote_addr())?;
        self.open.lock().ok()?.get(&key).cloned()
    }

    fn insert(&self, key: Key, cutoff: Arc<Cutoff>) {
        if let Ok(mut open) = self.open.lock() {
            open.insert(key, cutoff);
        }
    }

    /// Forgets `key` if it still names `cutoff`.
    fn remove(&self, key: &Key, cutoff: &Arc<Cutoff>) {
        if let Ok(mut open) = self.open.lock()
            && open.get(key).is_some_and(|c| Arc::ptr_eq(c, cutoff))
        {
            open.remove(key);
        }
    }
}

fn key(local: &LocalAddr, remote: &RemoteAddr) -> Option<Key> {
    Some((*local.as_socket_addr()?, *remote.as_socket_addr()?))
}

/// An acceptor whose connections can be cut through `connections`.
pub struct CuttableAcceptor<A> {
    inner: A,
    connections: Arc<Connections>,
}

impl<A> CuttableAcceptor<A> {
    pub fn new(inner: A, connections: Arc<Connections>) -> CuttableAcceptor<A> {
        CuttableAcceptor { inner, connections }
    }
}

impl<A: Acceptor> Acceptor for CuttableAcceptor<A> {
    type Io = CuttableIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote, scheme) = self.inner.accept().await?;
        let cutoff = Arc::new(Cutoff::default());
        // Only socket addresses are told apart; other connections cannot be cut.
        let registered = key(&local, &remote).map(|key| {
            self.connections.insert(key, cutoff.clone());
            (self.connections.clone(), key)
        });
        let io = CuttableIo {
            inner: io,
            cutoff,
            registered,
        };
        Ok((io, local, remote, scheme))
    }
}

/// A socket that passes everything through until its cutoff is cut, then fails.
pub struct CuttableIo<Io> {
    inner: Io,
    cutoff: Arc<Cutoff>,
    registered: Option<(Arc<Connections>, Key)>,
}

impl<Io> CuttableIo<Io> {
    /// `Ready(Err)` once cut. Otherwise `poll` is tried, and when the socket is not
    /// ready the task is also registered to be woken by a cut.
    fn pass<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(&mut Io, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if self.cutoff.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        match poll(&mut self.inner, cx) {
            Poll::Pending => {
                self.cutoff.waiting.register(cx.waker());
                // A cut between the first check and the registration woke nobody.
                if self.cutoff.is_cut() {
                    Poll::Ready(Err(cut_error()))
                } else {
                    Poll::Pending
                }
            }
            ready => ready,
        }
    }
}

fn cut_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "the connection was cut by the server",
    )
}

impl<Io> Drop for CuttableIo<Io> {
    fn drop(&mut self) {
        if let Some((connections, key)) = &self.registered {
            connections.remove(key, &self.cutoff);
        }
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for CuttableIo<Io> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_mut()
            .pass(cx, |io, cx| Pin::new(io).poll_read(cx, buf))
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for CuttableIo<Io> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .pass(cx, |io, cx| Pin::new(io).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .pass(cx, |io, cx| Pin::new(io).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .pass(cx, |io, cx| Pin::new(io).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Closing sends nothing the client could take for the end of a body.
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn a_cut_socket_refuses_writes_and_wakes_a_waiting_reader() {
        let (a, mut b) = tokio::io::duplex(64);
        let cutoff = Arc::new(Cutoff::default());
        let mut io = CuttableIo {
            inner: a,
            cutoff: cutoff.clone(),
            registered: None,
        };
        io.write_all(b"before").await.unwrap();
        let mut seen = [0u8; 6];
        b.read_exact(&mut seen).await.unwrap();
        assert_eq!(&seen, b"before");
        // Nothing to read: the reader waits until the cut wakes it with an error.
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 8];
            let read = io.read(&mut buf).await;
            (read.map_err(|e| e.kind()), io)
        });
        tokio::task::yield_now().await;
        cutoff.cut();
        let (read, mut io) = reader.await.unwrap();
        assert_eq!(read, Err(io::ErrorKind::ConnectionAborted));
        let write = io.write_all(b"0\r\n\r\n").await.map_err(|e| e.kind());
        assert_eq!(write, Err(io::ErrorKind::ConnectionAborted));
        drop(io);
        let mut rest = Vec::new();
        b.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty(), "{rest:?}");
    }
}
