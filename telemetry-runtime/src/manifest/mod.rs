//! The manifest: every counter a program can report, as a reviewer reads it. The model
//! and its JSON and Markdown are `telemetry_formats::manifest`'s, re-exported here;
//! this module adds the manifest of the running program.

pub mod record;

pub use telemetry_formats::manifest::{
    CounterRecord, FORMAT, Manifest, ManifestConflict, Record, RecordError, json_string, shape,
};

/// The manifest of the running program, from the records of every counter in its
/// registry: the same data `telemetry manifest` reads from the built executable.
pub fn manifest() -> Manifest {
    let mut records = Vec::new();
    for counter in crate::registry::TELEMETRY_REGISTRY_V0_1.iter() {
        if let Ok((record, _)) = record::decode_one(counter.decl().record) {
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
