// The derived name is `<crate>/` and these four modules and the function: over 200 bytes.
mod storage_engine_with_a_rather_long_descriptive_name {
    pub mod write_ahead_log_with_a_rather_long_descriptive_name {
        pub mod segment_compaction_with_a_long_descriptive_name {
            pub mod background_worker_with_a_long_descriptive_name {
                #[telemetry::counted]
                pub fn compact_all_segments() {}
            }
        }
    }
}

use storage_engine_with_a_rather_long_descriptive_name::write_ahead_log_with_a_rather_long_descriptive_name as wal;

fn main() {
    wal::segment_compaction_with_a_long_descriptive_name::background_worker_with_a_long_descriptive_name::compact_all_segments();
}
