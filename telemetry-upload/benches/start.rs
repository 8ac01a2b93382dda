//! What naming a collector adds to `start!()` when nothing is due (the common case:
//! an upload was tried within the day), side by side with the start of a local-mode
//! program: `cargo bench -p transparent-telemetry-upload --bench start`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use telemetry_formats::mode::Env;
use telemetry_formats::mode::Mode;
use telemetry_runtime::testing::start_unpublished;

fn start(c: &mut Criterion) {
    let root = std::env::temp_dir().join(format!("telemetry-upload-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let env = Env {
        dir: Some(root.clone()),
        ..Env::default()
    };
    let program = telemetry::program!();
    let namespace = root.join("default");
    // An upload was tried a moment ago: the token is fresh, nothing is due.
    std::fs::create_dir_all(namespace.join("upload")).unwrap();
    std::fs::write(namespace.join("upload").join("token"), b"").unwrap();
    let key = format!("ed25519:{}", "3b".repeat(32));
    let url = "https://telemetry.example.org";
    let mut group = c.benchmark_group("start");
    group.bench_function("start, mode local", |b| {
        b.iter(|| start_unpublished(&program, &env).expect("opens"))
    });
    group.bench_function("start, mode on, collector named, nothing due", |b| {
        b.iter(|| {
            let file = start_unpublished(&program, &env).expect("opens");
            telemetry_upload::on_start(Mode::On, black_box(Path::new(&namespace)), url, &key)
                .expect("nothing due");
            file
        })
    });
    group.bench_function("the upload check alone", |b| {
        b.iter(|| telemetry_upload::on_start(Mode::On, black_box(&namespace), url, &key))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, start);
criterion_main!(benches);
