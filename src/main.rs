//! The `tms` binary: parse the command line, set up logging, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use tms::cli::{Cli, ExitStatus, init_logging, run};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format, cli.quiet);
    match run(cli).await {
        Ok(status) => status.into(),
        Err(error) => {
            if error.chain().any(|cause| cause.downcast_ref::<tms::config::ConfigError>().is_some()) {
                eprintln!("error: {error:#}");
                return ExitStatus::Usage.into();
            }
            tracing::error!(error.cause_chain = ?error, error.message = %error, "command failed");
            eprintln!("error: {error:#}");
            ExitStatus::Failure.into()
        }
    }
}
