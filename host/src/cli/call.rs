use crate::transport::result::to_mcp;
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rmcp::model::ContentBlock;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::Duration;
use wharf_core::policy::Confirmed;
use wharf_core::registry::Registry;
use wharf_core::runtime::{CallHooks, ProgressReceiver, progress_channel};

pub async fn run(
    registry: &Registry,
    tool: &str,
    args: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let text = match args {
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read arguments from stdin")?;
            s
        }
        Some(a) => a.to_owned(),
        None => "{}".to_owned(),
    };
    let args: serde_json::Value =
        serde_json::from_str(&text).context("arguments are not valid JSON")?;
    let serde_json::Value::Object(args) = args else {
        bail!("arguments must be a JSON object, like '{{\"all\": true}}'");
    };
    let mut hooks = CallHooks::default();
    let cancel = hooks.cancel.clone();
    // Progress is drawn only for a person watching; piped output stays the bare result.
    let bar = std::io::stderr().is_terminal().then(|| {
        let (tx, rx) = progress_channel();
        hooks.progress = Some(tx);
        tokio::spawn(draw_progress(rx))
    });
    let call = registry.call(tool, Some(&args), hooks, &Confirmed);
    let outcome = tokio::select! {
        r = call => r,
        _ = tokio::signal::ctrl_c() => {
            cancel.cancel();
            bail!("interrupted");
        }
    };
    if let Some(bar) = bar {
        let _ = bar.await;
    }
    let result = to_mcp(outcome).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        for c in &result.content {
            if let ContentBlock::Text(t) = c {
                println!("{}", t.text);
            }
        }
    }
    Ok(if result.is_error == Some(true) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A spinner with the plugin's message, which becomes a bar once a total is known.
async fn draw_progress(mut rx: ProgressReceiver) {
    let bar = ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut with_total = false;
    while let Some(p) = rx.next().await {
        match p.total {
            Some(total) if total > 0 => {
                if !with_total {
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} [{bar:30}] {msg}")
                            .expect("a valid template")
                            .progress_chars("=> "),
                    );
                    with_total = true;
                }
                bar.set_length(total);
                bar.set_position(p.done.min(total));
            }
            _ => bar.set_position(p.done),
        }
        if let Some(m) = p.message {
            bar.set_message(m);
        }
    }
    bar.finish_and_clear();
}
