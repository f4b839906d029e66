//! The memory that layer entries (paths, link targets, their bookkeeping) may take in one
//! process, whatever the input: an archive of millions of tiny entries is refused with a
//! clear error instead of exhausting memory. Every [`crate::Layer`] holds a reservation
//! against one process-wide limit.

use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes of entry metadata all layers of the process may hold together.
pub const METADATA_LIMIT: u64 = 96 << 20;

/// What one entry costs besides its strings: the map node, the entry, the key's header.
pub(crate) const ENTRY_OVERHEAD: u64 = 160;

static IN_USE: AtomicU64 = AtomicU64::new(0);

/// A share of [`METADATA_LIMIT`], given back when dropped.
#[derive(Debug, Default)]
pub(crate) struct Reservation {
    bytes: u64,
}

impl Reservation {
    /// Takes `bytes` more, or returns false (taking nothing) when the limit would be passed.
    pub(crate) fn grow(&mut self, bytes: u64) -> bool {
        let ok = IN_USE
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes)
                    .filter(|&total| total <= METADATA_LIMIT)
            })
            .is_ok();
        if ok {
            self.bytes += bytes;
        }
        ok
    }

    /// Gives back `bytes` (an entry replaced or removed).
    pub(crate) fn shrink(&mut self, bytes: u64) {
        let bytes = bytes.min(self.bytes);
        IN_USE.fetch_sub(bytes, Ordering::Relaxed);
        self.bytes -= bytes;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        IN_USE.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}
