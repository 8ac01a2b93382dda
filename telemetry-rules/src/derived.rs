//! The name `#[counted]` gives a function declared without one: its module path with
//! `::` turned into `/` and `_` into `-` (Go's `-` between words), then `/` and what
//! the macro knows of the function, its owning type when it has one, then its name,
//! each [`dashed`](crate::name::dashed): `lookup` in `my_tool::cache` is
//! `my-tool/cache/lookup`.
//!
//! Only the compiler knows the module path, so the facade computes the name while the
//! program compiles, with code written for the compiler's const evaluator; this is the
//! rule that code is tested against.

/// The derived name of a function in `module_path` whose part after the path is
/// `tail`.
pub fn name(module_path: &str, tail: &str) -> String {
    let mut name = module_path.replace("::", "/").replace('_', "-");
    name.push('/');
    name.push_str(tail);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_separators_become_slashes_and_underscores_dashes() {
        assert_eq!(
            name("my_tool::disk_cache::v2", "Entry/load-all"),
            "my-tool/disk-cache/v2/Entry/load-all"
        );
    }

    #[test]
    fn a_crate_root_function_is_crate_slash_function() {
        assert_eq!(name("kv", "main"), "kv/main");
    }
}
