//! The commands this crate adds to the shared ones, one per file.

mod config;
mod manifest;
mod view;

use telemetry_command::{Args, Context, Host, Report};

use crate::app::error::CliError;

/// Runs the extra command `name` of `args`.
pub(crate) fn run(host: &Host, name: &str, args: &Args) -> Result<Report, CliError> {
    match name {
        "view" => {
            let addr =
                match args.extra_flag("addr") {
                    Some(value) => Some(value.to_str().ok_or_else(|| {
                        CliError::usage("the value of --addr is not valid UTF-8")
                    })?),
                    None => None,
                };
            view::run(&Context::new(host, args), addr)
        }
        "manifest" => manifest::run(args),
        "config" => config::run(host, &args.rest),
        other => Err(CliError::usage(format!("unknown command {other:?}"))),
    }
}
