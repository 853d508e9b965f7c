//! A container's TCP sockets, asked of the kernel inside its network namespace: how many listen,
//! how many are established, and the smoothed round-trip time of the established ones.
//!
//! The rules:
//! - One sock_diag netlink socket per namespace, made once: a short-lived thread enters the
//!   namespace (`setns`), opens the socket and ends, so no thread of the console ever runs in a
//!   container's namespace. A netlink socket answers for the namespace it was made in for its
//!   whole life, so later dumps need no namespace switch at all.
//! - The engine is not involved: this is the kernel's own table, the one `ss -ti` reads.
//! - Only root (CAP_SYS_ADMIN) may enter another namespace; without it, or when the process is
//!   gone, the reason is given instead of numbers.
//! - A dump walks the kernel's whole TCP hash table, which every namespace shares (about a
//!   millisecond on a large host, however few sockets the namespace has): callers dump only
//!   the families a namespace has sockets of, and only a few namespaces per tick.
//! - The RTT is `tcpi_rtt` from `struct tcp_info` (microseconds, the kernel's smoothed
//!   estimate). Its offset has been fixed since Linux 2.6; the structure only ever grew at the end.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_sock_diag::constants::{
    AF_INET, AF_INET6, IPPROTO_TCP, TCP_ESTABLISHED, TCP_LISTEN,
};
use netlink_packet_sock_diag::inet::nlas::Nla;
use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_sys::{protocols::NETLINK_SOCK_DIAG, Socket, SocketAddr};

use crate::app::usage::TcpSockets;

/// The address families a dump is asked for.
pub const IPV4: u8 = AF_INET;
pub const IPV6: u8 = AF_INET6;

/// Offset of `tcpi_rtt` in `struct tcp_info`: eight one-byte fields, then fifteen u32s before it.
const TCPI_RTT_OFFSET: usize = 68;

/// A dump that does not answer within this long is abandoned (the kernel answers at once; this
/// only keeps a wedged socket from stalling the sampler).
const RECV_TIMEOUT_MS: i64 = 500;

/// A sock_diag socket bound to one network namespace.
pub struct NamespaceSockets {
    socket: Socket,
    /// Each dump's sequence number, so that what is left of an abandoned dump (a timeout) is
    /// never read as the next one's answer.
    seq: u32,
}

impl std::fmt::Debug for NamespaceSockets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamespaceSockets").finish_non_exhaustive()
    }
}

/// Why a namespace's sockets cannot be read, and whether trying again could help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub why: String,
    /// Not root, or the process gone: asking again changes nothing.
    pub permanent: bool,
}

impl Unreadable {
    fn now(why: impl Into<String>) -> Unreadable {
        Unreadable {
            why: why.into(),
            permanent: false,
        }
    }

    fn for_good(why: impl Into<String>) -> Unreadable {
        Unreadable {
            why: why.into(),
            permanent: true,
        }
    }
}

const NEEDS_ROOT: &str = "its network namespace needs root to enter";
const GONE: &str = "the container's process is gone";

impl NamespaceSockets {
    /// Opens a socket inside the network namespace at `ns_path` (`/proc/<pid>/ns/net`);
    /// `own` says it is this process's own namespace (no switch needed, nor root).
    pub fn open(ns_path: &Path, own: bool) -> Result<NamespaceSockets, Unreadable> {
        let socket = if own {
            Socket::new(NETLINK_SOCK_DIAG)
                .map_err(|e| Unreadable::now(format!("sock_diag socket: {e}")))?
        } else {
            let target = File::open(ns_path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Unreadable::for_good(GONE),
                std::io::ErrorKind::PermissionDenied => Unreadable::for_good(NEEDS_ROOT),
                _ => Unreadable::now(format!("{}: {e}", ns_path.display())),
            })?;
            socket_inside(&target)?
        };
        let mut socket = socket;
        socket
            .bind_auto()
            .and_then(|_| socket.connect(&SocketAddr::new(0, 0)))
            .map_err(|e| Unreadable::now(format!("sock_diag socket: {e}")))?;
        set_recv_timeout(&socket);
        Ok(NamespaceSockets { socket, seq: 0 })
    }

    /// Counts the namespace's listening and established TCP sockets of the given families
    /// (`AF_INET`, `AF_INET6`: only those that have any are worth a dump) and takes the median
    /// and 95th percentile of the established ones' RTT. After an error the socket should be
    /// dropped: a dump may be left half-read in it.
    pub fn read(&mut self, families: &[u8]) -> Result<TcpSockets, String> {
        let mut out = TcpSockets::default();
        let mut rtts = Vec::new();
        for family in families {
            self.dump(*family, &mut out, &mut rtts)?;
        }
        rtts.sort_unstable();
        out.rtt_p50_us = nearest_rank(&rtts, 50);
        out.rtt_p95_us = nearest_rank(&rtts, 95);
        Ok(out)
    }

    fn dump(
        &mut self,
        family: u8,
        out: &mut TcpSockets,
        rtts: &mut Vec<u32>,
    ) -> Result<(), String> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_DUMP;
        header.sequence_number = seq;
        let mut request = NetlinkMessage::new(
            header,
            SockDiagMessage::InetRequest(InetRequest {
                family,
                protocol: IPPROTO_TCP,
                extensions: ExtensionFlags::INFO,
                states: StateFlags::LISTEN | StateFlags::ESTABLISHED,
                socket_id: if family == AF_INET {
                    SocketId::new_v4()
                } else {
                    SocketId::new_v6()
                },
            })
            .into(),
        );
        request.finalize();
        let mut buf = vec![0; request.buffer_len()];
        request.serialize(&mut buf);
        self.socket
            .send(&buf, 0)
            .map_err(|e| format!("sock_diag request: {e}"))?;
        let mut received = vec![0u8; 32 * 1024];
        loop {
            let size = self
                .socket
                .recv(&mut &mut received[..], 0)
                .map_err(|e| format!("sock_diag answer: {e}"))?;
            let mut offset = 0;
            while offset < size {
                let message =
                    NetlinkMessage::<SockDiagMessage>::deserialize(&received[offset..size])
                        .map_err(|e| format!("sock_diag answer: {e}"))?;
                let length = message.header.length as usize;
                if message.header.sequence_number != seq {
                    // Left over from an earlier, abandoned dump.
                    if length == 0 {
                        break;
                    }
                    offset += length;
                    continue;
                }
                match message.payload {
                    NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(r)) => {
                        match r.header.state {
                            TCP_LISTEN => out.listening += 1,
                            TCP_ESTABLISHED => {
                                out.established += 1;
                                rtts.extend(r.nlas.iter().find_map(|nla| match nla {
                                    Nla::TcpInfo(info) => rtt_of(info),
                                    _ => None,
                                }));
                            }
                            _ => {}
                        }
                    }
                    NetlinkPayload::Done(done) if done.code < 0 => {
                        return Err(format!(
                            "sock_diag dump interrupted: {}",
                            std::io::Error::from_raw_os_error(-done.code)
                        ))
                    }
                    NetlinkPayload::Done(_) => return Ok(()),
                    NetlinkPayload::Error(e) => {
                        // A kernel without IPv6 refuses that family: nothing to count there.
                        if family == AF_INET6 {
                            return Ok(());
                        }
                        return Err(format!("sock_diag: {e}"));
                    }
                    _ => {}
                }
                if length == 0 {
                    break;
                }
                offset += length;
            }
        }
    }
}

/// A sock_diag socket made inside the namespace `target` by a short-lived thread: the switch
/// (`setns`) changes only that thread, which ends once the socket exists.
fn socket_inside(target: &File) -> Result<Socket, Unreadable> {
    std::thread::scope(|scope| {
        let made = std::thread::Builder::new()
            .name("netns".into())
            .spawn_scoped(scope, || -> Result<Socket, Unreadable> {
                // SAFETY: setns on this thread only, which ends right after; the fd is open.
                let rc = unsafe { libc::setns(target.as_raw_fd(), libc::CLONE_NEWNET) };
                if rc != 0 {
                    let e = std::io::Error::last_os_error();
                    return Err(match e.raw_os_error() {
                        Some(libc::EPERM) => Unreadable::for_good(NEEDS_ROOT),
                        _ => Unreadable::now(format!("cannot enter its network namespace: {e}")),
                    });
                }
                Socket::new(NETLINK_SOCK_DIAG)
                    .map_err(|e| Unreadable::now(format!("sock_diag socket: {e}")))
            })
            .map_err(|e| Unreadable::now(format!("no thread to enter the namespace: {e}")))?;
        made.join()
            .unwrap_or_else(|_| Err(Unreadable::now("the namespace thread failed")))
    })
}

fn rtt_of(info: &[u8]) -> Option<u32> {
    let bytes = info.get(TCPI_RTT_OFFSET..TCPI_RTT_OFFSET + 4)?;
    Some(u32::from_ne_bytes(bytes.try_into().ok()?))
}

/// The `p`th percentile of sorted values by nearest rank (a value that was measured).
fn nearest_rank(sorted: &[u32], p: usize) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn set_recv_timeout(socket: &Socket) {
    let timeout = libc::timeval {
        tv_sec: 0,
        tv_usec: (RECV_TIMEOUT_MS * 1000) as libc::suseconds_t,
    };
    // SAFETY: a valid socket and a timeval of the size given. A failure leaves it blocking,
    // which the kernel's immediate answers make harmless.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&timeout as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_values_that_were_measured() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 95), Some(7));
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(nearest_rank(&v, 50), Some(50));
        assert_eq!(nearest_rank(&v, 95), Some(95));
        assert_eq!(nearest_rank(&[1, 2, 3, 400], 95), Some(400));
    }

    #[test]
    fn rtt_is_read_from_its_fixed_offset_and_a_short_structure_has_none() {
        let mut info = vec![0u8; 104];
        info[TCPI_RTT_OFFSET..TCPI_RTT_OFFSET + 4].copy_from_slice(&1234u32.to_ne_bytes());
        assert_eq!(rtt_of(&info), Some(1234));
        assert_eq!(rtt_of(&info[..70]), None);
    }

    #[test]
    fn a_namespace_whose_process_is_gone_says_so() {
        let err = NamespaceSockets::open(Path::new("/proc/4194304999/ns/net"), false).unwrap_err();
        assert_eq!(err, Unreadable::for_good(GONE));
    }

    /// This process's own namespace (opened without a switch, so without root): a listener made
    /// here is counted, and an established pair over loopback has an RTT.
    #[test]
    fn the_own_namespace_counts_a_listener_and_an_established_pair() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::net::TcpStream::connect(addr).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        use std::io::{Read, Write};
        (&client).write_all(b"ping").unwrap();
        let mut got = [0u8; 4];
        server.read_exact(&mut got).unwrap();
        let mut sockets = NamespaceSockets::open(Path::new("/proc/self/ns/net"), true).unwrap();
        let t = sockets.read(&[AF_INET, AF_INET6]).unwrap();
        assert!(t.listening >= 1, "{t:?}");
        assert!(t.established >= 2, "{t:?}");
        assert!(t.rtt_p50_us.is_some_and(|r| r > 0), "{t:?}");
        drop(client);
    }
}
