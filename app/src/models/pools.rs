//! Pools as the UI shows them: slots and how they are used.

use serde::{Deserialize, Serialize};

use super::dags::SyncNotice;

/// Airflow's pool that tasks use when they name none.
pub const DEFAULT_POOL: &str = "default_pool";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolRow {
    pub environment: String,
    pub name: String,
    /// A global pool belongs to no team: every team's tasks may use it.
    pub global: bool,
    /// `-1`: unlimited.
    pub slots: i64,
    pub description: Option<String>,
    pub include_deferred: bool,
    pub running: i64,
    pub queued: i64,
    pub scheduled: i64,
    pub deferred: i64,
    pub open: i64,
    /// Whether this viewer may edit or delete it (team pools: team admins; global: platform
    /// admins).
    pub editable: bool,
}

impl PoolRow {
    pub fn is_default(&self) -> bool {
        self.name == DEFAULT_POOL
    }

    /// The usage bar's segments as (class, slots, percent of the bar), in drawing order.
    pub fn segments(&self) -> Vec<(&'static str, i64, f64)> {
        let parts = [
            ("running", self.running),
            ("queued", self.queued),
            ("scheduled", self.scheduled),
            ("deferred", self.deferred),
            ("open", self.open.max(0)),
        ];
        let total: i64 = if self.slots > 0 {
            self.slots.max(parts.iter().map(|(_, n)| n).sum())
        } else {
            parts.iter().map(|(_, n)| n).sum()
        };
        parts
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(class, n)| {
                let percent = if total > 0 {
                    n as f64 * 100.0 / total as f64
                } else {
                    0.0
                };
                (class, n, percent)
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolPage {
    pub pools: Vec<PoolRow>,
    /// Environments the team may create pools in.
    pub environments: Vec<String>,
    pub can_create_team_pool: bool,
    pub can_create_global_pool: bool,
    pub sync: Vec<SyncNotice>,
}

/// A pool as the create and edit forms send it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolForm {
    pub environment: String,
    pub name: String,
    pub slots: i64,
    pub description: String,
    pub include_deferred: bool,
    /// Create a global pool instead of one of the team's (platform admins).
    pub global: bool,
}

impl PoolForm {
    /// Checks what Airflow would reject, before anything is sent.
    pub fn validate(&self) -> Result<(), String> {
        let name = self.name.trim();
        if name.is_empty() || name.len() > 256 {
            return Err("A pool needs a name of at most 256 characters.".into());
        }
        if name.chars().any(|c| c.is_control() || c == '/') {
            return Err("A pool name cannot contain '/' or control characters.".into());
        }
        if self.slots < -1 {
            return Err("Slots must be 0 or more (or -1 for unlimited).".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(slots: i64, running: i64, queued: i64, open: i64) -> PoolRow {
        PoolRow {
            environment: "main".into(),
            name: "p".into(),
            global: false,
            slots,
            description: None,
            include_deferred: false,
            running,
            queued,
            scheduled: 0,
            deferred: 0,
            open,
            editable: false,
        }
    }

    #[test]
    fn bar_segments_are_shares_of_the_slots() {
        let segments = pool(8, 2, 2, 4).segments();
        assert_eq!(
            segments,
            vec![("running", 2, 25.0), ("queued", 2, 25.0), ("open", 4, 50.0)]
        );
        // Over-subscribed (queued beyond the slots): shares of the whole, never over 100 %.
        let total: f64 = pool(2, 2, 3, 0).segments().iter().map(|s| s.2).sum();
        assert!((total - 100.0).abs() < 1e-9);
        assert!(pool(0, 0, 0, 0).segments().is_empty());
    }

    #[test]
    fn forms_are_checked_before_sending() {
        let form = |name: &str, slots| PoolForm {
            name: name.into(),
            slots,
            ..Default::default()
        };
        assert!(form("etl", 4).validate().is_ok());
        assert!(form("etl", -1).validate().is_ok());
        assert!(form(" ", 4).validate().is_err());
        assert!(form("a/b", 4).validate().is_err());
        assert!(form("etl", -2).validate().is_err());
    }
}
