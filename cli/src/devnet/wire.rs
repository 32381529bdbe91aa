//! Framing on the devnet's loopback sockets: each message is a 4-byte big-endian length and
//! that many bytes of JSON (a [`Delivery`]: a meter's frame or a peer's message). Reads are
//! non-blocking, so one node process serves every connection from one loop.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;

use diversity::actors::Delivery;

/// The largest message accepted: far above any window's readings for the devnet's sizes;
/// a longer length prefix is a broken or hostile peer, and its connection is dropped.
pub const MAX_MESSAGE: usize = 16 << 20;

/// How long a write to a peer or a node may block: a peer that does not read is treated as
/// down, and the message as lost (A-NET-001), rather than stalling the writer.
pub const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Writes one message.
pub fn send(stream: &mut TcpStream, d: &Delivery) -> std::io::Result<()> {
    let body = serde_json::to_vec(d).expect("a delivery serialises");
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend(body);
    stream.write_all(&frame)
}

/// One inbound connection and the bytes read from it so far.
pub struct Inbound {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Inbound {
    pub fn new(stream: TcpStream) -> std::io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(Self {
            stream,
            buf: Vec::new(),
        })
    }

    /// Reads what is available and returns the complete messages. `Err` means the
    /// connection is closed or broken and should be dropped (with what it said, if any).
    pub fn poll(&mut self) -> Result<Vec<Delivery>, String> {
        let mut chunk = [0u8; 64 * 1024];
        let mut closed = None;
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    closed = Some("closed".to_string());
                    break;
                }
                Ok(k) => self.buf.extend_from_slice(&chunk[..k]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    closed = Some(e.to_string());
                    break;
                }
            }
        }
        let mut out = Vec::new();
        while self.buf.len() >= 4 {
            let len = u32::from_be_bytes(self.buf[..4].try_into().expect("4 bytes")) as usize;
            if len > MAX_MESSAGE {
                return Err(format!("a message of {len} bytes is over the limit"));
            }
            if self.buf.len() < 4 + len {
                break;
            }
            let body: Vec<u8> = self.buf.drain(..4 + len).skip(4).collect();
            match serde_json::from_slice(&body) {
                Ok(d) => out.push(d),
                Err(e) => return Err(format!("a message that is not a delivery: {e}")),
            }
        }
        match closed {
            Some(why) if out.is_empty() => Err(why),
            _ => Ok(out),
        }
    }
}
