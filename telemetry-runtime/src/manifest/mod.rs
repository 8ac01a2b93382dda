//! The manifest of the running program, and the records the runtime writes for its
//! own counters and the program. The model and its JSON and Markdown are
//! `telemetry_formats::manifest`'s.

pub mod record;

use telemetry_formats::manifest::{Manifest, Record, record::decode_one};

/// The manifest of the running program, from the records of every counter in its
/// registry: the same data `telemetry manifest` reads from the built executable.
pub fn manifest() -> Manifest {
    let mut records = Vec::new();
    for counter in crate::registry::TELEMETRY_REGISTRY_V0_1.iter() {
        if let Ok((record, _)) = decode_one(counter.decl().record) {
            records.push(record);
        }
    }
    if let Some(session) = crate::session::session() {
        let program = session.program();
        records.push(Record::Program {
            name: program.name.clone(),
            version: program.version.clone(),
        });
    }
    Manifest::from_records(records)
}
