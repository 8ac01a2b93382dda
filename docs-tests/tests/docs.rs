//! Every command of `README.md` and `docs/*.md` runs, as a reader would run it, in a
//! scratch copy of the repository (see `docs-tests/README.md`).

use std::path::Path;

use docs_tests::markdown::{self, Directive};
use docs_tests::runner::{self, Failure};
use docs_tests::setup::Setup;
use docs_tests::usage;

fn setup() -> &'static Setup {
    Setup::get(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("docs-tests"),
    )
}

fn report(failures: &[Failure]) {
    if !failures.is_empty() {
        panic!(
            "{} problem{} in the docs:\n\n{}\n",
            failures.len(),
            if failures.len() == 1 { "" } else { "s" },
            failures
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n\n")
        );
    }
}

#[test]
fn every_shell_block_of_the_docs_runs() {
    let setup = setup();
    let mut failures = Vec::new();
    for doc in setup.docs() {
        let name = doc.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(setup.root.join(&doc)).expect("the doc is readable");
        let parsed = markdown::parse(&text);
        for (line, message) in &parsed.problems {
            failures.push(Failure {
                doc: name.clone(),
                line: *line,
                message: message.clone(),
            });
        }
        // A block, with the blocks that continue it.
        let mut groups: Vec<Vec<&markdown::Block>> = Vec::new();
        for block in parsed.blocks.iter().filter(|b| b.is_shell()) {
            match &block.directive {
                Some(Directive::Skip(reason)) => {
                    println!("{name}:{}: skipped: {reason}", block.fence_line);
                }
                Some(Directive::Continues) => match groups.last_mut() {
                    Some(group) => group.push(block),
                    None => failures.push(Failure {
                        doc: name.clone(),
                        line: block.fence_line,
                        message: "`docs-test: continues`, but no shell block before it runs"
                            .to_string(),
                    }),
                },
                _ => groups.push(vec![block]),
            }
        }
        for group in groups {
            let started = std::time::Instant::now();
            failures.extend(runner::run_blocks(setup, &name, &group));
            println!(
                "{name}:{}: ran in {:.1} s",
                group[0].fence_line,
                started.elapsed().as_secs_f64()
            );
        }
    }
    report(&failures);
}

#[test]
fn every_command_named_in_the_prose_of_the_docs_exists() {
    let setup = setup();
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("docs-tests-usage-home");
    std::fs::create_dir_all(&home).expect("a home for the binaries");
    let mut usage = usage::Usage::new(setup.binaries.clone(), home);
    let mut failures = Vec::new();
    for doc in setup.docs() {
        let name = doc.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(setup.root.join(&doc)).expect("the doc is readable");
        for span in markdown::parse(&text).spans {
            if let Err(message) = usage.check(&setup.workspace, &span.text) {
                failures.push(Failure {
                    doc: name.clone(),
                    line: span.line,
                    message,
                });
            }
        }
    }
    report(&failures);
}

#[test]
fn every_rust_block_of_the_docs_is_compiled() {
    let setup = setup();
    let snippets = include_str!("../src/snippets.rs");
    let mut failures = Vec::new();
    let mut docs = setup.docs();
    docs.push("telemetry/README.md".into());
    for doc in docs {
        let name = doc.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(setup.root.join(&doc)).expect("the doc is readable");
        let rust: Vec<_> = markdown::parse(&text)
            .blocks
            .into_iter()
            .filter(|b| b.language() == "rust")
            .collect();
        let Some(first) = rust.first() else { continue };
        if !snippets.contains(&format!("include_str!(\"../../{name}\")")) {
            failures.push(Failure {
                doc: name.clone(),
                line: first.fence_line,
                message: format!(
                    "a Rust block that nothing compiles: include {name} in docs-tests/src/snippets.rs"
                ),
            });
        }
        for block in &rust {
            let skipped = matches!(block.directive, Some(Directive::Skip(_)));
            if block.info.contains("ignore") && !skipped {
                failures.push(Failure {
                    doc: name.clone(),
                    line: block.fence_line,
                    message: "`ignore` leaves this snippet free to rot: make it compile \
                              (`no_run` if it must not run), or say why not with \
                              `<!-- docs-test: skip: REASON -->`"
                        .to_string(),
                });
            }
        }
    }
    report(&failures);
}
