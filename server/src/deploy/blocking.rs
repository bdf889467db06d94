//! Repository and target work (git, the file system) runs on tokio's blocking pool, so a slow
//! disk or a large repository never stalls the request threads.

use super::error::DeployError;

/// Runs `work` on the blocking pool; a panic there is an internal error, not a crash.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, DeployError> + Send + 'static,
) -> Result<T, DeployError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DeployError::Internal(e.to_string()))?
}
