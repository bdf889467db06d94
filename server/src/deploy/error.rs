//! The deploy engine's one error type, and its one mapping to what the user is told.

use hangar_app::errors::AppError;

use super::directory::DirectoryError;
use super::export::ExportError;
use super::git::GitError;
use super::policy::Refusal;
use super::reference::RefError;
use crate::error::ServerError;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The team has no `[[deploy]]` entry.
    #[error("deploys are not set up for this team")]
    NotConfigured,
    /// No such request in this team (or another team's): the same answer for both.
    #[error("not found")]
    NotFound,
    /// The rules refuse the action; the text is for the person refused.
    #[error("{0}")]
    Refused(Refusal),
    /// The input or the request's state does not allow it; the text says why.
    #[error("{0}")]
    Invalid(String),
    /// The targets hold different commits (an interrupted or failed deploy).
    #[error("the targets disagree ({0}); retry or cancel the failed deploy first")]
    TargetsDisagree(String),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error(transparent)]
    Ref(#[from] RefError),
    /// A directory target's hook failed (after the swap: the deploy is live).
    #[error("the hook failed: {0}")]
    Hook(String),
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error("{0}")]
    Internal(String),
}

impl From<sqlx::Error> for DeployError {
    fn from(error: sqlx::Error) -> Self {
        Self::Server(error.into())
    }
}

impl From<Refusal> for DeployError {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl DeployError {
    /// The error a shared read gave (`shared_read`), owned again: the variants that carry
    /// what the user is told keep it; the rest are internal (their text is logged).
    pub fn from_shared(error: std::sync::Arc<DeployError>) -> Self {
        std::sync::Arc::try_unwrap(error).unwrap_or_else(|shared| match &*shared {
            Self::NotConfigured => Self::NotConfigured,
            Self::NotFound => Self::NotFound,
            Self::Invalid(message) => Self::Invalid(message.clone()),
            Self::TargetsDisagree(targets) => Self::TargetsDisagree(targets.clone()),
            other => Self::Internal(other.to_string()),
        })
    }

    /// The team's own repository or a target failed: the cause is theirs to see (pages show
    /// it as the deploy state's problem rather than failing).
    pub fn is_repository_or_target(&self) -> bool {
        matches!(self, Self::Git(_) | Self::Directory(_) | Self::Ref(_))
    }
}

impl From<DeployError> for AppError {
    fn from(error: DeployError) -> Self {
        match error {
            DeployError::NotFound => AppError::NotFound,
            DeployError::NotConfigured
            | DeployError::Refused(_)
            | DeployError::Invalid(_)
            | DeployError::TargetsDisagree(_) => AppError::Invalid(error.to_string()),
            // The repository or a target failed: the team's own configuration, so the cause
            // is theirs to see (and to tell an operator).
            DeployError::Git(_)
            | DeployError::Export(_)
            | DeployError::Directory(_)
            | DeployError::Ref(_)
            | DeployError::Hook(_) => AppError::Upstream(error.to_string()),
            DeployError::Server(error) => error.into(),
            DeployError::Internal(message) => ServerError::Unexpected(message).into(),
        }
    }
}
