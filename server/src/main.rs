use std::process::ExitCode;

use clap::Parser;

// glibc's allocator serialises on its arena locks under concurrent rendering; mimalloc's
// per-thread heaps do not (docs/benchmarks.md has the before/after).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    hangar_server::cli::run(hangar_server::cli::Cli::parse()).await
}
