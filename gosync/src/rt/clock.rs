//! The clock. Primitives read time only through here, so that the model
//! checker can substitute virtual time.

use std::time::Instant;

/// The current instant of the monotonic clock.
#[inline]
pub(crate) fn now() -> Instant {
    Instant::now()
}
