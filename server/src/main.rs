use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    hangar_server::cli::run(hangar_server::cli::Cli::parse()).await
}
