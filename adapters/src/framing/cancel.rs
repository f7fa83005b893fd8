//! Decoding that stops when its request is gone. A decoder runs on a blocking
//! thread, which no timeout can stop; it reads its input through [`Cancellable`],
//! which fails the next read once the [`Cancel`] flag is raised (the request
//! timed out or its client left), so the framer ends with a fatal error at its
//! next event instead of parsing on for nobody.

use std::io::{BufRead, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag shared by a request and its decoder.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// A guard that raises the flag when dropped: held by the request's future,
    /// it cancels the decoding when the future is dropped (timeout, disconnect)
    /// as well as when it completes.
    pub fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

/// Raises its [`Cancel`] when dropped.
#[derive(Debug)]
pub struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// A reader whose reads fail once its flag is raised.
#[derive(Debug)]
pub struct Cancellable<R> {
    inner: R,
    cancel: Cancel,
}

impl<R> Cancellable<R> {
    pub fn new(inner: R, cancel: Cancel) -> Cancellable<R> {
        Cancellable { inner, cancel }
    }

    fn check(&self) -> std::io::Result<()> {
        if self.cancel.is_cancelled() {
            Err(std::io::Error::other(
                "decoding cancelled: the request is gone",
            ))
        } else {
            Ok(())
        }
    }
}

impl<R: Read> Read for Cancellable<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.check()?;
        self.inner.read(buf)
    }
}

impl<R: BufRead> BufRead for Cancellable<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.check()?;
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::XmlElementFramer;
    use crate::limits::Limits;

    #[test]
    fn a_cancelled_decoder_stops_at_its_next_event() {
        let doc = format!("<m>{}</m>", "<r><a>1</a></r>".repeat(1000));
        let cancel = Cancel::new();
        let reader = Cancellable::new(doc.as_bytes(), cancel.clone());
        let mut framer = XmlElementFramer::new(reader, 1, Limits::default());
        assert!(matches!(framer.next(), Some(Ok(_))));
        drop(cancel.on_drop());
        let rest: Vec<_> = framer.collect();
        assert_eq!(rest.len(), 1, "{rest:?}");
        let error = rest[0].clone().err().unwrap_or_else(|| panic!("read on"));
        assert!(
            error.fatal && error.reason.contains("cancelled"),
            "{error:?}"
        );
    }
}
