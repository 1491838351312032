//! A hand-rolled progress bar on standard error, drawn only when it is a terminal and the sweep
//! is large, redrawn at most ten times a second.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Sweeps smaller than this finish before a bar would be worth drawing.
const MIN_POINTS: u64 = 100_000;
/// The shortest time between two redraws.
const INTERVAL: Duration = Duration::from_millis(100);
/// Width of the bar in cells.
const WIDTH: u64 = 30;

/// The progress bar (a no-op when not drawn).
pub struct Bar {
    total: u64,
    enabled: bool,
    drawn: bool,
    last: Instant,
}

impl Bar {
    /// A bar for `total` points; drawn when `wanted`, standard error is a terminal and the sweep
    /// is large.
    pub fn new(total: u64, wanted: bool) -> Bar {
        Bar {
            total,
            enabled: wanted && total >= MIN_POINTS && std::io::stderr().is_terminal(),
            drawn: false,
            last: Instant::now(),
        }
    }

    /// `done` points are evaluated.
    pub fn update(&mut self, done: u64) {
        if !self.enabled || self.last.elapsed() < INTERVAL {
            return;
        }
        self.last = Instant::now();
        let filled = done.saturating_mul(WIDTH) / self.total.max(1);
        let percent = done.saturating_mul(100) / self.total.max(1);
        let bar: String = (0..WIDTH)
            .map(|i| if i < filled { '#' } else { '-' })
            .collect();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r[{bar}] {percent:>3}% {done}/{} points", self.total);
        let _ = err.flush();
        self.drawn = true;
    }

    /// Clears the bar's line.
    pub fn finish(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}
