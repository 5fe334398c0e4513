use crate::registry::Registry;
use crate::runtime::CallHooks;
use crate::transport::result::to_mcp;
use anyhow::{Context, bail};
use rmcp::model::ContentBlock;
use std::io::Read;
use std::process::ExitCode;

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
    let hooks = CallHooks::default();
    let cancel = hooks.cancel.clone();
    let call = registry.call(tool, Some(&args), hooks);
    let outcome = tokio::select! {
        r = call => r,
        _ = tokio::signal::ctrl_c() => {
            cancel.cancel();
            bail!("interrupted");
        }
    };
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
