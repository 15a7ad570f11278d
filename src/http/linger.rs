//! Closing a client connection so that its last answer arrives: when tms answers before reading a
//! request's body (a body over its limit, a caller refused), closing the socket with the body
//! still arriving would make the client's system discard the answer. A closed connection first
//! reads and throws away what is still arriving — at most [`LINGER_BYTES_MAX`] bytes for at most
//! [`LINGER_TIME`], never keeping any of it — and only then closes.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// Most bytes read and thrown away after a connection is done.
pub const LINGER_BYTES_MAX: usize = 1024 * 1024;
/// Longest a connection lingers after it is done.
pub const LINGER_TIME: Duration = Duration::from_secs(2);

/// A client connection that lingers when dropped.
pub struct Lingering(Option<TcpStream>);

impl Lingering {
    pub fn new(stream: TcpStream) -> Lingering {
        Lingering(Some(stream))
    }

    fn stream(&mut self) -> &mut TcpStream {
        self.0.as_mut().expect("the stream is there until dropped")
    }
}

impl AsyncRead for Lingering {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().stream()).poll_read(cx, buf)
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.get_mut().stream()).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.get_mut().stream()).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.as_ref().is_some_and(AsyncWrite::is_write_vectored)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().stream()).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().stream()).poll_shutdown(cx)
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        if let (Some(stream), Ok(runtime)) = (self.0.take(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(linger(stream));
        }
    }
}

/// Says the answer is complete (FIN), then reads and throws away what the client still sends
/// until it closes its side or the allowance runs out.
async fn linger(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    let mut discard = vec![0_u8; 8 * 1024];
    let mut discarded = 0;
    let _ = tokio::time::timeout(LINGER_TIME, async {
        while discarded < LINGER_BYTES_MAX {
            match stream.read(&mut discard).await {
                Ok(0) | Err(_) => break,
                Ok(n) => discarded += n,
            }
        }
    })
    .await;
}
