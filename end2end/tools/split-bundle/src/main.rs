//! Splits Hangar's linked browser bundle at its lazy routes.
//!
//! Two things `wasm-split-cli` does not do, and why this tool exists:
//! - It does not write the map of which files each lazy function needs; leptos reads that
//!   map (`__wasm_split_manifest.json`) to preload a page's chunks beside the main module
//!   instead of after hydration asks for them. This calls the same library and writes it.
//! - With one split point per page, code shared by a different set of pages becomes its own
//!   file: ~400 files, most of them a few hundred bytes, and a page needed ~150 of them. Each
//!   file costs the browser a request (6 at a time over HTTP/1.1), which cost more than their
//!   bytes saved. So the split runs twice: the first pass finds the tiny shared chunks, and
//!   the second keeps their functions in the main module (exported, which roots them there).
//!
//! Usage: `hangar-split-bundle <linked.wasm> <out-dir> <out-name>`. Writes
//! `<out-dir>/<out-name>_split.wasm` (the main module, for wasm-bindgen), the chunk files,
//! the loader script and the manifest.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use wasmparser::{KnownCustom, Name, Parser, Payload};

/// The loader's name that leptos' `HydrationScripts` links when file names carry no hash.
const LOADER: &str = "__wasm_split.______________________.js";
const MANIFEST: &str = "__wasm_split_manifest.json";
/// A shared chunk whose code and data are smaller than this goes into the main module: its
/// request would cost more than its bytes.
const TINY_CHUNK_BYTES: usize = 4096;
const ROUNDS: usize = 3;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir, out_name] = args.as_slice() else {
        eprintln!("usage: hangar-split-bundle <linked.wasm> <out-dir> <out-name>");
        return ExitCode::from(2);
    };
    match run(Path::new(input), Path::new(out_dir), out_name) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("hangar-split-bundle: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(input: &Path, out_dir: &Path, out_name: &str) -> Result<String, String> {
    let wasm = std::fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let input_names = ModuleFacts::read(&wasm)?.function_names;
    let scratch = std::env::temp_dir().join(format!("hangar-split-{}", std::process::id()));
    let rounds = find_tiny_chunk_functions(&wasm, &input_names, &scratch, out_name);
    _ = std::fs::remove_dir_all(&scratch);
    let (kept, first_files) = rounds?;
    let files = split(
        &export_functions(&wasm, &indexes_named(&input_names, &kept))?,
        out_dir,
        out_name,
    )?;
    Ok(format!(
        "{files} lazy-loaded files written to {} ({first_files} before {} functions of tiny shared chunks were kept in the main module)",
        out_dir.display(),
        kept.len()
    ))
}

/// Splits into `scratch` a few times: keeping a tiny chunk's functions in the main module
/// can leave other chunks tiny (what they shared with it is gone), so rounds run until none
/// is left. Returns the names to keep and how many files the first split wrote.
fn find_tiny_chunk_functions(
    wasm: &[u8],
    input_names: &[(u32, String)],
    scratch: &Path,
    out_name: &str,
) -> Result<(HashSet<String>, usize), String> {
    let mut kept = HashSet::new();
    let mut first_files = None;
    for _ in 0..ROUNDS {
        _ = std::fs::remove_dir_all(scratch);
        let rooted = export_functions(wasm, &indexes_named(input_names, &kept))?;
        let files = split(&rooted, scratch, out_name)?;
        first_files.get_or_insert(files);
        let tiny = tiny_chunk_functions(scratch)?;
        if tiny.is_empty() {
            break;
        }
        kept.extend(tiny);
    }
    Ok((kept, first_files.unwrap_or(0)))
}

/// Every function of the input with one of these names (a name may stand for several).
fn indexes_named(input_names: &[(u32, String)], names: &HashSet<String>) -> Vec<u32> {
    input_names
        .iter()
        .filter(|(_, name)| names.contains(name))
        .map(|(index, _)| *index)
        .collect()
}

/// One run of the splitter; returns how many lazily loaded files it wrote.
fn split(wasm: &[u8], out_dir: &Path, out_name: &str) -> Result<usize, String> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let main_out = out_dir.join(format!("{out_name}_split.wasm"));
    let main_module = format!("./{out_name}.js");
    let link_name = format!("./{LOADER}");
    let split = wasm_split_cli_support::transform({
        let mut options = wasm_split_cli_support::Options::new(wasm);
        options.output_dir = out_dir;
        options.main_out_path = &main_out;
        options.main_module = &main_module;
        options.link_name = &link_name;
        options
    })
    .map_err(|e| format!("splitting failed: {e:#}"))?;
    let manifest = serde_json::to_string_pretty(&split.prefetch_map).map_err(|e| e.to_string())?;
    let manifest_path = out_dir.join(MANIFEST);
    std::fs::write(&manifest_path, manifest)
        .map_err(|e| format!("cannot write {}: {e}", manifest_path.display()))?;
    Ok(split.split_modules.len())
}

/// The names of the functions defined in the first pass's tiny shared chunks.
fn tiny_chunk_functions(dir: &Path) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path: PathBuf = entry.path();
        let is_chunk = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("chunk_") && n.ends_with(".wasm"));
        if !is_chunk {
            continue;
        }
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let chunk = ModuleFacts::read(&bytes)?;
        if chunk.code_and_data_bytes < TINY_CHUNK_BYTES {
            names.extend(
                chunk
                    .function_names
                    .into_iter()
                    .filter(|(index, _)| *index >= chunk.imported_functions)
                    .map(|(_, name)| name),
            );
        }
    }
    Ok(names)
}

/// What this tool needs to know about a module.
struct ModuleFacts {
    imported_functions: u32,
    code_and_data_bytes: usize,
    function_names: Vec<(u32, String)>,
}

impl ModuleFacts {
    fn read(bytes: &[u8]) -> Result<Self, String> {
        let mut facts = ModuleFacts {
            imported_functions: 0,
            code_and_data_bytes: 0,
            function_names: Vec::new(),
        };
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(|e| format!("not valid WebAssembly: {e}"))? {
                Payload::ImportSection(imports) => {
                    for import in imports.into_imports() {
                        let import = import.map_err(|e| e.to_string())?;
                        if matches!(
                            import.ty,
                            wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_)
                        ) {
                            facts.imported_functions += 1;
                        }
                    }
                }
                Payload::CodeSectionStart { size, .. } => {
                    facts.code_and_data_bytes += size as usize
                }
                Payload::DataSection(data) => {
                    facts.code_and_data_bytes += (data.range().end - data.range().start) as usize
                }
                Payload::CustomSection(custom) => {
                    if let KnownCustom::Name(names) = custom.as_known() {
                        for name in names {
                            if let Ok(Name::Function(map)) = name {
                                for naming in map.into_iter().flatten() {
                                    facts
                                        .function_names
                                        .push((naming.index, naming.name.to_string()));
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(facts)
    }
}

/// The input module with these functions exported (`__hangar_main_<n>`), everything else
/// byte for byte: the export section precedes the code, and the linker's relocations count
/// from the start of their section, so they stay valid.
fn export_functions(wasm: &[u8], indexes: &[u32]) -> Result<Vec<u8>, String> {
    let mut out = wasm[..8].to_vec();
    let mut saw_exports = false;
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        let (size, header) = read_leb(&wasm[at + 1..])?;
        let start = at + 1 + header;
        let end = start + size as usize;
        let body = wasm
            .get(start..end)
            .ok_or("a section runs past the end of the module")?;
        if id == 7 {
            saw_exports = true;
            let (count, count_len) = read_leb(body)?;
            let mut section = Vec::new();
            write_leb(&mut section, count + indexes.len() as u32);
            section.extend_from_slice(&body[count_len..]);
            for (n, index) in indexes.iter().enumerate() {
                let name = format!("__hangar_main_{n}");
                write_leb(&mut section, name.len() as u32);
                section.extend_from_slice(name.as_bytes());
                section.push(0x00); // a function
                write_leb(&mut section, *index);
            }
            out.push(7);
            write_leb(&mut out, section.len() as u32);
            out.extend_from_slice(&section);
        } else {
            out.extend_from_slice(&wasm[at..end]);
        }
        at = end;
    }
    if !saw_exports {
        return Err("the module has no export section to keep functions in".into());
    }
    Ok(out)
}

fn read_leb(bytes: &[u8]) -> Result<(u32, usize), String> {
    let mut value: u32 = 0;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err("a malformed length in the module".into())
}

fn write_leb(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
