//! Criterion benchmark: mining one transformers version from the cached source (parse every
//! landmark module + translate; the download and unpacking are done once, outside the timing).

use criterion::{Criterion, criterion_group, criterion_main};
use llemc_compiler::diagnostic::FileId;
use llemc_mining::ssot::read_ssot;
use llemc_static_miner::mine;
use llemc_static_miner::source::fetch_source;
use std::path::PathBuf;

fn bench(c: &mut Criterion) {
    let ws = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text =
        std::fs::read_to_string(ws.join("engine_versions/transformers.yaml")).unwrap_or_default();
    let Ok(ssot) = read_ssot(FileId(0), &text) else {
        eprintln!("engine_versions/transformers.yaml does not read");
        return;
    };
    for version in ["5.14.1", "4.57.6"] {
        let root = match fetch_source(&ws.join(".cache"), "transformers", version) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("skipping {version}: {e} (run scripts/fetch-sources)");
                continue;
            }
        };
        c.bench_function(&format!("mine_static_transformers_{version}"), |b| {
            b.iter(|| mine(&ssot, version, &root).map(|o| o.staging.rules.len()))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
