//! What can go wrong talking to Airflow, in words a user can act on.

/// Messages never contain a token or a password; Airflow's own `detail` is passed on because
/// it explains validation errors ("conf must be a JSON object", "pool name exists").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AirflowError {
    #[error("Airflow environment {env} is unreachable: {reason}")]
    Unreachable { env: String, reason: String },
    #[error("Airflow environment {env} did not answer within {seconds} s")]
    Timeout { env: String, seconds: u64 },
    #[error("Airflow environment {env} refused Hangar's credentials")]
    Unauthorized { env: String },
    #[error("Airflow environment {env} does not allow this for Hangar's credentials")]
    Forbidden { env: String },
    #[error("not found in Airflow environment {env}")]
    NotFound { env: String },
    /// Airflow's own message for this (a unique-constraint dump) says nothing useful.
    #[error("Airflow environment {env} already has one by that name")]
    Conflict { env: String },
    #[error("Airflow environment {env} rejected the request ({status}): {detail}")]
    Rejected {
        env: String,
        status: u16,
        detail: String,
    },
    #[error("Airflow environment {env} answered something Hangar cannot read: {reason}")]
    Invalid { env: String, reason: String },
    /// An answer larger than Hangar reads in one go (a source file, a part of a log).
    #[error(
        "Airflow environment {env} answered with more than {limit} bytes, more than Hangar reads at once"
    )]
    TooLarge { env: String, limit: usize },
}

impl AirflowError {
    /// A short fixed name for the metrics' `kind` label.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unreachable { .. } => "unreachable",
            Self::Timeout { .. } => "timeout",
            Self::Unauthorized { .. } => "unauthorized",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::Rejected { .. } => "rejected",
            Self::Invalid { .. } => "invalid",
            Self::TooLarge { .. } => "too_large",
        }
    }
}
