//! Stopping a run from outside: a shared flag, set by the caller or by Ctrl-C / SIGTERM.

use crate::error::HarnessError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A flag that asks a running experiment to stop. Runners check it several times a second; on
/// seeing it they stop the worker, remove its container and exchange directory, and return
/// [`HarnessError::Interrupted`].
#[derive(Clone, Debug, Default)]
pub struct CancelToken {
    flag: Arc<AtomicBool>,
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Asks the run to stop.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Whether the run was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Cancels this token on SIGINT (Ctrl-C) and SIGTERM, until the returned guard is dropped.
    /// A second signal after the first ends the process at once (exit status 130 for SIGINT,
    /// 143 for SIGTERM), for when cleaning up itself hangs.
    pub fn watch_signals(&self) -> Result<SignalWatch, HarnessError> {
        let mut ids = Vec::new();
        for (signal, status) in [
            (signal_hook::consts::SIGINT, 130),
            (signal_hook::consts::SIGTERM, 143),
        ] {
            // The shutdown action goes first: on the first signal the flag is still false, so
            // only the second signal exits.
            let registered = signal_hook::flag::register_conditional_shutdown(
                signal,
                status,
                Arc::clone(&self.flag),
            )
            .and_then(|first| {
                ids.push(first);
                signal_hook::flag::register(signal, Arc::clone(&self.flag))
            });
            match registered {
                Ok(id) => ids.push(id),
                Err(e) => {
                    drop(SignalWatch { ids });
                    return Err(HarnessError::Spec(format!(
                        "cannot install the Ctrl-C handler: {e}"
                    )));
                }
            }
        }
        Ok(SignalWatch { ids })
    }
}

/// Keeps the signal handlers of [`CancelToken::watch_signals`] installed; dropping it removes
/// them.
#[derive(Debug)]
pub struct SignalWatch {
    ids: Vec<signal_hook::SigId>,
}

impl Drop for SignalWatch {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_flag() {
        let token = CancelToken::new();
        let clone = token.clone();
        assert!(!clone.is_cancelled());
        token.cancel();
        assert!(clone.is_cancelled());
    }
}
