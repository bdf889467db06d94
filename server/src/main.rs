use std::process::ExitCode;

use clap::Parser;

// glibc's allocator serialises on its arena locks under concurrent rendering; mimalloc's
// per-thread heaps do not (docs/benchmarks.md has the before/after).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    bound_c_heap_arenas();
    hangar_server::cli::run(hangar_server::cli::Cli::parse()).await
}

/// SQLite is C: its page caches and sort buffers come from glibc's malloc, not mimalloc.
/// glibc gives a thread that finds the arenas busy an arena of its own (up to 8 per core)
/// and keeps what each once held, so the server's memory after a burst of requests depended
/// on how many of SQLite's connection threads had collided: after the first run of the
/// 100-row DAG list at 32 connections, 128 MB once and 91 MB another time with glibc's
/// default, 76–82 MB with one or two arenas (docs/benchmarks.md). Two bound it and leave a
/// thread a second arena to go to. An operator's `MALLOC_ARENA_MAX` still decides.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn bound_c_heap_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: `mallopt` sets one of glibc's allocator tunables; no C code has allocated
        // yet (no database is open before the CLI runs).
        unsafe { libc::mallopt(libc::M_ARENA_MAX, 2) };
    }
}
