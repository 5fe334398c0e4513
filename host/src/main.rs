//! The `wharf` binary: command-line parsing and error reporting at the edge.

use clap::Parser;
use std::process::ExitCode;
use wharf::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    wharf::cli::init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wharf: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wharf: {e:#}");
            ExitCode::FAILURE
        }
    }
}
