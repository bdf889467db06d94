//! The audit log is for actors. A request refused before anyone is known — a cross-origin
//! POST without a session, a sign-in callback that does not verify, a junk bearer token — is
//! counted in metrics (`hangar_unauthenticated_refusals_total`) and written to the log only
//! as a sample: at most once per client address per minute, its attacker-chosen text cut to
//! [`MAX_TEXT`] characters. So an anonymous flood costs the log (and its one chain lock) a
//! line a minute per address (an IPv6 client's /64), not a line a request.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::Quota;

use crate::metrics::Metrics;
use crate::rate::{KeyedLimit, source_of};

/// Most characters of anything an anonymous client chose that an audit entry keeps.
pub const MAX_TEXT: usize = 200;

/// `text` cut to [`MAX_TEXT`] characters (on a character boundary), marked when cut.
pub fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// What kind of anonymous refusal, as metrics label it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    CrossOrigin,
    SignIn,
    Token,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CrossOrigin => "cross_origin",
            Self::SignIn => "sign_in",
            Self::Token => "token",
        }
    }
}

/// Counts anonymous refusals and says which ones go into the audit log.
pub struct AnonymousRefusals {
    /// One sample a minute per source (an IPv6 client's /64), in a bounded table: while it
    /// is full, new sources share one sample a minute (`crate::rate`).
    samples: KeyedLimit<IpAddr>,
    metrics: Arc<Metrics>,
}

impl AnonymousRefusals {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            samples: KeyedLimit::new(
                Quota::per_minute(NonZeroU32::new(1).expect("one")),
                crate::rate::OVERFLOW_SOURCE,
            ),
            metrics,
        }
    }

    /// Counts the refusal; `true` when this source's sample for the minute is due.
    pub fn sample(&self, kind: Refusal, source: IpAddr) -> bool {
        self.metrics.unauthenticated_refusal(kind.as_str());
        self.samples.check(&source_of(source)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_on_a_character_boundary() {
        assert_eq!(cut("short"), "short");
        let long = "é".repeat(500);
        let kept = cut(&long);
        assert_eq!(kept.chars().count(), MAX_TEXT + 1);
        assert!(kept.ends_with('…'));
    }

    #[test]
    fn one_sample_per_source_per_minute() {
        let refusals = AnonymousRefusals::new(Arc::new(Metrics::new()));
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        assert!(refusals.sample(Refusal::Token, a));
        for kind in [Refusal::Token, Refusal::SignIn, Refusal::CrossOrigin] {
            assert!(!refusals.sample(kind, a), "{kind:?}");
        }
        assert!(refusals.sample(Refusal::CrossOrigin, b));
        // Another address of one IPv6 /64 is the same source.
        assert!(refusals.sample(Refusal::Token, "2001:db8::1".parse().unwrap()));
        assert!(!refusals.sample(Refusal::Token, "2001:db8::2".parse().unwrap()));
        assert!(refusals.metrics.encode().contains("kind=\"token\""));
    }
}
