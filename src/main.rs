//! The `tms` binary: parse the command line, set up logging, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use tms::cli::{Cli, ExitStatus, init_logging, run};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format, cli.quiet);
    let outcome = run(cli).await;
    if std::env::var_os("TMS_REPORT_PEAK_RSS").is_some() {
        report_peak_rss();
    }
    match outcome {
        Ok(status) => status.into(),
        Err(error) => {
            if error
                .chain()
                .any(|cause| cause.downcast_ref::<tms::config::ConfigError>().is_some())
            {
                eprintln!("error: {error:#}");
                return ExitStatus::Usage.into();
            }
            tracing::error!(error.cause_chain = ?error, error.message = %error, "command failed");
            eprintln!("error: {error:#}");
            ExitStatus::Failure.into()
        }
    }
}

/// Prints the process's peak resident memory (`VmHWM`) for benchmarks and memory tests.
fn report_peak_rss() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
        let kib = line.split_whitespace().nth(1).unwrap_or("0");
        eprintln!("peak_rss_kib={kib}");
    }
}
