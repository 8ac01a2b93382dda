//! Connections, accepted and served here rather than by `axum::serve`, so that no
//! client can hold the server: every connection must send its request head within the
//! head deadline (counted from when the server starts waiting for it: the connection's
//! opening, or the end of the previous answer), a connection that stays idle between
//! requests is closed after the idle limit, and open connections are capped per address
//! and in total. A connection beyond a cap is closed at once, unread; the others keep
//! being served. The total cap also fits inside the process's file-descriptor limit with
//! a reserve left for the database and the publisher ([`fd_budget`]), so connections can
//! never starve them.

use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use crate::limit::key_of;

/// File descriptors kept out of the connections' reach: the database's connections
/// (each SQLite one holds the database, its log and its shared memory), the listener,
/// the standard streams, and room to spare.
pub const FD_RESERVE: u64 = 128;

/// How connections are limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// The longest the server waits for a request head.
    pub head: Duration,
    /// The longest a connection may stay idle between requests.
    pub idle: Duration,
    /// Open connections, at most.
    pub total: usize,
    /// Open connections from one address (an IPv4 address, or an IPv6 /64), at most.
    pub per_address: usize,
}

/// Raises the process's soft limit on open files to its hard limit, and returns the
/// limit (`None` where it cannot be read).
pub fn raise_fd_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` writes one `rlimit` through a pointer to a live local value.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: `setrlimit` reads one `rlimit` through a pointer to a live local value.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    Some(limit.rlim_cur)
}

/// The most connections that fit in `fd_limit` open files with [`FD_RESERVE`] left
/// over: `wanted`, or fewer (at least one) when the limit is lower.
pub fn fd_budget(wanted: usize, fd_limit: Option<u64>) -> usize {
    match fd_limit {
        None => wanted,
        Some(limit) => {
            let room = usize::try_from(limit.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX);
            wanted.min(room).max(1)
        }
    }
}

/// Connections turned away, by cap.
#[derive(Default)]
pub struct Turned {
    /// Beyond the total cap.
    pub total: AtomicU64,
    /// Beyond the cap of one address.
    pub per_address: AtomicU64,
}

/// The connections open now: how many in all and from each address (keyed by a hash
/// with a key drawn when the process starts; an entry goes when its last connection
/// closes).
pub struct Open {
    limits: ConnectionLimits,
    total: AtomicUsize,
    by_address: Mutex<HashMap<u64, usize>>,
    key: RandomState,
    closed: Notify,
    /// The connections turned away so far.
    pub turned: Turned,
}

/// One admitted connection: its place is given back when this is dropped.
pub struct Admitted {
    open: Arc<Open>,
    key: u64,
}

impl Open {
    /// None open yet, under `limits`.
    pub fn new(limits: ConnectionLimits) -> Open {
        Open {
            limits,
            total: AtomicUsize::new(0),
            by_address: Mutex::new(HashMap::new()),
            key: RandomState::new(),
            closed: Notify::new(),
            turned: Turned::default(),
        }
    }

    /// The limits.
    pub fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    /// How many are open.
    pub fn count(&self) -> usize {
        self.total.load(Relaxed)
    }

    /// Admits a connection from `ip`, or says no when a cap is reached.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Admitted> {
        let key = self.key.hash_one(key_of(ip));
        let mut by_address = self.by_address.lock().unwrap_or_else(|e| e.into_inner());
        if self.total.load(Relaxed) >= self.limits.total {
            self.turned.total.fetch_add(1, Relaxed);
            return None;
        }
        let mine = by_address.entry(key).or_insert(0);
        if *mine >= self.limits.per_address {
            self.turned.per_address.fetch_add(1, Relaxed);
            return None;
        }
        *mine += 1;
        self.total.fetch_add(1, Relaxed);
        Some(Admitted {
            open: self.clone(),
            key,
        })
    }

    /// Waits until every connection is closed, or `limit` has passed.
    pub async fn all_closed(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.count() > 0 {
            let closed = self.closed.notified();
            if self.count() == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, closed).await.is_err() {
                break;
            }
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut by_address = self
            .open
            .by_address
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = by_address.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                by_address.remove(&self.key);
            }
        }
        drop(by_address);
        self.open.total.fetch_sub(1, Relaxed);
        self.open.closed.notify_waiters();
    }
}

/// What a connection is doing: requests under way, and when a byte last arrived or a
/// request last ended.
struct Activity {
    epoch: Instant,
    busy: AtomicUsize,
    last_ms: AtomicU64,
    ended: Notify,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            epoch: Instant::now(),
            busy: AtomicUsize::new(0),
            last_ms: AtomicU64::new(0),
            ended: Notify::new(),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Relaxed);
    }

    /// When the connection, idle now, became idle; `None` while a request is under way.
    fn idle_since(&self) -> Option<Instant> {
        if self.busy.load(Relaxed) > 0 {
            return None;
        }
        Some(self.epoch + Duration::from_millis(self.last_ms.load(Relaxed)))
    }
}

/// A request under way, until its answer's body has been sent (or dropped).
struct Busy(Arc<Activity>);

impl Busy {
    fn begin(activity: &Arc<Activity>) -> Busy {
        activity.busy.fetch_add(1, Relaxed);
        Busy(activity.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Relaxed);
        self.0.ended.notify_one();
    }
}

/// An answer's body that ends its request's [`Busy`] when it is dropped.
struct Tracked {
    body: Body,
    _busy: Busy,
}

impl http_body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A socket that notes when bytes arrive.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Whether an accept error says the process (or the system) is out of something that
/// comes back: then the loop pauses rather than spinning.
fn is_exhaustion(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Accepts and serves connections with `router` until `shutdown` completes; then
/// closes idle connections, lets those with a request under way finish it, and waits
/// for them at most `grace`.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    open: Arc<Open>,
    grace: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                if is_exhaustion(&e) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                continue;
            }
        };
        let Some(admitted) = open.admit(peer.ip()) else {
            // Closed at once, unread.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            peer,
            router.clone(),
            open.limits,
            stopping.clone(),
            admitted,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    open.all_closed(grace).await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<bool>,
    admitted: Admitted,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let busy = Busy::begin(&activity);
            let router = router.clone();
            async move {
                let response = match router.oneshot(request.map(Body::new)).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(response.map(|body| Body::new(Tracked { body, _busy: busy })))
            }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.head)
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut closing = false;
    loop {
        let wake = match activity.idle_since() {
            Some(since) => since + limits.idle,
            None => Instant::now() + limits.idle,
        };
        tokio::select! {
            _ = conn.as_mut() => break,
            _ = stopping.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            _ = activity.ended.notified(), if !closing => {}
            _ = tokio::time::sleep_until(wake.into()), if !closing => {
                if activity
                    .idle_since()
                    .is_some_and(|since| since.elapsed() >= limits.idle)
                {
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
    drop(admitted);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_address: usize) -> ConnectionLimits {
        ConnectionLimits {
            head: Duration::from_secs(10),
            idle: Duration::from_secs(5),
            total,
            per_address,
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0; 4]))
    }

    #[test]
    fn each_address_and_the_whole_have_their_caps_and_places_come_back() {
        let open = Arc::new(Open::new(limits(5, 2)));
        let a1 = open.admit(ip("192.0.2.1"));
        let a2 = open.admit(ip("::ffff:192.0.2.1"));
        assert!(a1.is_some() && a2.is_some());
        assert!(
            open.admit(ip("192.0.2.1")).is_none(),
            "a third from one address"
        );
        // One IPv6 /64 is one address.
        let b1 = open.admit(ip("2001:db8::1"));
        let b2 = open.admit(ip("2001:db8::2"));
        assert!(b1.is_some() && b2.is_some());
        assert!(open.admit(ip("2001:db8::3")).is_none());
        let c = open.admit(ip("192.0.2.3"));
        assert!(c.is_some());
        assert_eq!(open.count(), 5);
        assert!(
            open.admit(ip("192.0.2.4")).is_none(),
            "the total is reached"
        );
        assert_eq!(open.turned.total.load(Relaxed), 1);
        assert_eq!(open.turned.per_address.load(Relaxed), 2);
        drop(a1);
        assert_eq!(open.count(), 4);
        assert!(open.admit(ip("192.0.2.1")).is_some(), "its place came back");
    }

    #[test]
    fn the_connections_fit_in_the_file_limit_with_the_reserve_left() {
        assert_eq!(fd_budget(4096, Some(1024)), 1024 - FD_RESERVE as usize);
        assert_eq!(fd_budget(100, Some(1024)), 100);
        assert_eq!(fd_budget(100, Some(10)), 1);
        assert_eq!(fd_budget(100, None), 100);
    }
}
