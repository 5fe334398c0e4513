//! The command line: `wharf serve`, `tools`, `call`, `doctor`, `precompile`, `plugin`.

mod call;
mod doctor;
mod plugin;
mod precompile;
mod scaffold;
mod setup;
mod tools;

use crate::transport::WharfServer;
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "wharf",
    version,
    about = "A Docker MCP server whose tool groups are sandboxed WebAssembly plugins"
)]
pub struct Cli {
    /// Config file (default: $WHARF_CONFIG, else ~/.config/wharf/wharf.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Load the *.wasm plugins of this directory too (repeatable).
    #[arg(long = "plugin-dir", global = true, value_name = "DIR")]
    pub plugin_dirs: Vec<PathBuf>,
    /// Host directory file copies and bind mounts may use (repeatable; replaces the
    /// config's allowed_roots; default: the current directory).
    #[arg(long = "allowed-root", global = true, value_name = "DIR")]
    pub allowed_roots: Vec<PathBuf>,
    /// Serve only tools that never change state; the host refuses every Docker write too
    /// (overrides the config's mode). WHARF_READ_ONLY=true|false (or 1|0, yes|no) says
    /// the same, for launchers that set only the environment.
    #[arg(
        long,
        global = true,
        env = "WHARF_READ_ONLY",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub read_only: bool,
    /// Serve every tool but the destructive ones (overrides the config's mode).
    #[arg(long, global = true)]
    pub no_destructive: bool,
    /// Serve these tool groups (comma-separated plugin names; `default`: those on by
    /// default, which is what none means; `all`: every one, swarm included). Replaces the
    /// config's toolsets.
    #[arg(
        long,
        global = true,
        env = "WHARF_TOOLSETS",
        value_name = "SETS",
        value_delimiter = ','
    )]
    pub toolsets: Option<Vec<String>>,
    /// Also serve these tools (comma-separated); alone, without toolsets, serve only these.
    /// Adds to the config's tools.
    #[arg(long, global = true, value_name = "TOOLS", value_delimiter = ',')]
    pub tools: Vec<String>,
    /// Do not serve these tools (comma-separated, repeatable; adds to the config's
    /// disabled_tools).
    #[arg(
        long = "exclude-tools",
        visible_alias = "disable-tool",
        global = true,
        value_name = "TOOLS",
        value_delimiter = ','
    )]
    pub disabled_tools: Vec<String>,
    /// Append a JSON line for every call of a tool that may change state (overrides the
    /// config's audit_log).
    #[arg(long, global = true, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Only see and touch containers, networks and volumes carrying this label (`key` or
    /// `key=value`); what wharf creates gets it (overrides the config's scope_label).
    #[arg(long, global = true, value_name = "LABEL")]
    pub scope_label: Option<wharf_core::policy::Scope>,
    /// Compile plugins at start-up instead of using the precompiled cache.
    #[arg(long, global = true)]
    pub no_cache: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over stdio (what Claude Desktop runs), or over Streamable HTTP.
    Serve {
        /// Serve MCP over Streamable HTTP at http://ADDR/mcp instead of stdio, e.g.
        /// 127.0.0.1:8080. Clients must send the bearer token (WHARF_HTTP_TOKEN, [http]
        /// token, or one generated and printed at start).
        #[arg(long, value_name = "ADDR")]
        http: Option<std::net::SocketAddr>,
        /// Allowed roots, as if each were given with --allowed-root.
        #[arg(value_name = "DIR")]
        roots: Vec<PathBuf>,
    },
    /// Compile every plugin (the built-in ones, enabled or not, and those of the plugin
    /// directories) into the cache ahead of time, so that start-up only loads them: for a
    /// container image or a read-only home. Exits non-zero when the cache cannot be filled.
    Precompile {
        /// The cache to fill (default: the config's cache_dir, else $WHARF_CACHE_DIR, else
        /// $XDG_CACHE_HOME/wharf, else ~/.cache/wharf).
        #[arg(long, value_name = "DIR")]
        cache: Option<PathBuf>,
    },
    /// List every tool, grouped by plugin, with its annotations.
    Tools {
        /// Also show each plugin's capabilities and limits, and full descriptions.
        #[arg(long, short)]
        verbose: bool,
        /// Print the tool list as MCP's tools/list returns it.
        #[arg(long)]
        json: bool,
    },
    /// Check the setup: config, Docker engine, plugins and their grants. Exits non-zero
    /// when something needs fixing.
    Doctor,
    /// Work on plugins: check a component before shipping it.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// Call one tool and print its result, as an MCP client would receive it.
    Call {
        /// Tool name, e.g. list_containers.
        tool: String,
        /// Arguments as a JSON object (default {}); `-` reads them from stdin.
        args: Option<String>,
        /// Print the whole MCP result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Load FILE.wasm as wharf would (every capability it asks for granted, no engine
    /// contacted) and check its imports and WIT versions, its self-description, its tools'
    /// names and schemas. Exits non-zero when wharf would refuse it.
    Check {
        /// The component, named after the plugin (NAME.wasm).
        file: PathBuf,
    },
    /// Create a plugin crate NAME: one tool, a mock-host test that passes as generated
    /// (`cargo test`, no Docker), and a README saying how to build, check and load it.
    New {
        /// The plugin's name: lowercase letters, digits and `-`.
        name: String,
        /// The directory to create it in (default: the current one).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// A wharf checkout to depend on by path (default: the one this wharf was built
        /// from, if it is still there, else the wharf git repository).
        #[arg(long)]
        wharf_source: Option<PathBuf>,
    },
}

/// SIGINT (Ctrl-C) or, on unix, SIGTERM. The handlers are installed here, not when the
/// future is first polled: a signal sent as soon as wharf says it is serving must stop it
/// gracefully, not kill it by the default action.
fn shutdown_signal() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                return Box::pin(async move {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                });
            }
            (Err(e), _) | (_, Err(e)) => tracing::warn!("cannot watch for SIGTERM: {e}"),
        }
    }
    Box::pin(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Logs go to stderr: stdout belongs to the MCP stream. `WHARF_LOG` (or `RUST_LOG`) sets
/// the filter.
pub fn init_logging(cli: &Cli) {
    let default = match cli.command {
        Command::Serve { .. } => "wharf=info",
        _ => "wharf=warn",
    };
    let filter = std::env::var("WHARF_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| default.to_owned());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

pub async fn run(mut cli: Cli) -> anyhow::Result<ExitCode> {
    // Checking a plugin file needs neither the config nor the built-in plugins.
    if let Command::Plugin { command } = &cli.command {
        return plugin::run(command).await;
    }
    if let Command::Precompile { cache } = &cli.command {
        return precompile::run(&cli, cache.clone());
    }
    if let Command::Serve { roots, .. } = &mut cli.command {
        cli.allowed_roots.append(roots);
    }
    let setup::Loaded {
        config,
        config_file,
        engines,
        registry,
    } = setup::load(&cli).await?;
    match cli.command {
        Command::Serve { http: None, .. } => {
            crate::transport::serve_stdio(WharfServer::new(registry)?)
                .await
                .map_err(|e| anyhow::anyhow!("MCP transport failed: {e}"))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            http: Some(addr), ..
        } => {
            let access = setup::http_access(&config)?;
            let server = WharfServer::new(registry)?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            let local = listener.local_addr()?;
            let shutdown = shutdown_signal();
            // The one line a person (or a test) needs: where to connect.
            eprintln!("wharf: serving MCP at http://{local}/mcp");
            crate::transport::http::serve_http(server, listener, access, shutdown).await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tools { verbose, json } => tools::print(&registry, verbose, json),
        Command::Doctor => {
            Ok(doctor::run(&config, config_file.as_ref(), &engines, &registry).await)
        }
        Command::Call { tool, args, json } => {
            call::run(&registry, &tool, args.as_deref(), json).await
        }
        Command::Plugin { command } => plugin::run(&command).await,
        Command::Precompile { .. } => unreachable!("precompile runs before plugins load"),
    }
}
