//! Writes `<file>.gz` beside every file given, compressed with Zopfli.
//!
//! Why not `gzip -9`: the server sends these files as they are to every browser that accepts
//! gzip (`tower-http`'s precompressed files), so they are compressed once per build and read
//! on every first visit. Zopfli writes ordinary gzip (any browser and `gunzip` read it) about
//! 4–5 % smaller than `gzip -9` on Hangar's WASM (measured in `docs/benchmarks.md`), for a few
//! seconds of build time. Files are compressed in parallel, one thread per core.
//!
//! Usage: `hangar-gzip-bundle <file>...`

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

fn main() -> ExitCode {
    let files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        eprintln!("usage: hangar-gzip-bundle <file>...");
        return ExitCode::from(2);
    }
    // Largest first, so the long ones do not start last.
    let mut queue: Vec<(u64, PathBuf)> = files
        .into_iter()
        .map(|file| (std::fs::metadata(&file).map_or(0, |m| m.len()), file))
        .collect();
    queue.sort();
    let queue = Mutex::new(queue);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut failures = Vec::new();
                    loop {
                        let next = queue.lock().map(|mut q| q.pop()).unwrap_or(None);
                        let Some((_, file)) = next else { break };
                        if let Err(error) = gzip_beside(&file) {
                            failures.push(format!("{}: {error}", file.display()));
                        }
                    }
                    failures
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|_| vec!["a worker panicked".into()])
            })
            .collect()
    });
    if failures.is_empty() {
        return ExitCode::SUCCESS;
    }
    for failure in failures {
        eprintln!("hangar-gzip-bundle: {failure}");
    }
    ExitCode::FAILURE
}

/// `file` → `file.gz`, written whole under a temporary name first, so that an interrupted
/// build never leaves a truncated `.gz` the server would send.
fn gzip_beside(file: &Path) -> std::io::Result<()> {
    let data = std::fs::read(file)?;
    let mut compressed = Vec::with_capacity(data.len() / 3);
    let mut encoder = zopfli::GzipEncoder::new(
        zopfli::Options::default(),
        zopfli::BlockType::Dynamic,
        &mut compressed,
    )?;
    encoder.write_all(&data)?;
    encoder.finish()?;
    let mut name = file.as_os_str().to_owned();
    name.push(".gz");
    let target = PathBuf::from(name);
    let mut partial = target.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, &compressed)?;
    std::fs::rename(&partial, &target)
}
