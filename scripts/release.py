"""Make and check wharf's release artifacts: the Claude Desktop bundle (.mcpb, manifest
0.3) and the MCP Registry's server.json. scripts/dist runs them all; the tests run some.

Usage:
  python3 scripts/release.py pack WHARF_BIN OUT.mcpb     manifest from what WHARF_BIN serves,
                                                         validated, then packed
  python3 scripts/release.py check BUNDLE.mcpb           unpacked as Claude Desktop would and
                                                         served through the Python MCP SDK
  python3 scripts/release.py reject-invalid BUNDLE.mcpb  `mcpb validate` must refuse the
                                                         bundle's manifest once broken
  python3 scripts/release.py serve COMMAND [ARG...]      COMMAND (wharf, or `docker run -i`
                                                         of its image) serves tools/list and
                                                         list_containers through the SDK
  python3 scripts/release.py server-json BUNDLE.mcpb IMAGE OUT.json
                                                         the registry entry naming both

`mcpb` is @anthropic-ai/mcpb: $WHARF_MCPB_DIR names the npm prefix it is installed under
(default: ~/.cache/wharf-ci/npm, where .ci/run installs it). Each command exits non-zero,
saying why, when what it makes or checks is not right.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

REPO = Path(__file__).resolve().parent.parent
SOURCE = "https://github.com/wharf-mcp/wharf"
# The MCP Registry's name; the image carries it as a label, which is how the registry
# checks that the image is ours.
REGISTRY_NAME = "io.github.wharf-mcp/wharf"
# The engine the manifest's generation must not reach: listing tools and prompts needs none.
NO_ENGINE = "unix:///nonexistent/wharf-bundle.sock"


def npm_prefix() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wharf-ci/npm"
    return Path(os.environ.get("WHARF_MCPB_DIR") or default)


def mcpb(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    exe = npm_prefix() / "node_modules/.bin/mcpb"
    if not exe.exists():
        sys.exit(f"release: {exe} not found: npm install --prefix {npm_prefix()} @anthropic-ai/mcpb")
    p = subprocess.run([str(exe), *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"release: mcpb {' '.join(args)} failed:\n{p.stdout}{p.stderr}")
    return p


def version(wharf: str) -> str:
    out = subprocess.run([wharf, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[-1]


async def served(wharf: str) -> tuple[list, list]:
    """The tools and prompts `wharf serve` offers with no config of the user's, each prompt
    with its task as `prompts/get` words it for placeholder arguments."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ)
        env.update(
            HOME=home,
            WHARF_CONFIG=str(Path(home) / "none.toml"),
            WHARF_CACHE_DIR=str(Path(home) / "cache"),
            DOCKER_HOST=NO_ENGINE,
            WHARF_LOG="wharf=error",
        )
        params = StdioServerParameters(command=wharf, args=["serve", home], env=env, cwd=home)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = [
                    {"name": t.name, "description": t.description or t.title or t.name}
                    for t in (await session.list_tools()).tools
                ]
                prompts = []
                for p in (await session.list_prompts()).prompts:
                    names = [a.name for a in p.arguments or []]
                    got = await session.get_prompt(
                        p.name, {n: "${arguments." + n + "}" for n in names}
                    )
                    text = "\n".join(
                        m.content.text for m in got.messages if getattr(m.content, "text", None)
                    )
                    # The task comes first; the facts gathered after it are this machine's.
                    task = text.split("\n\n", 1)[0]
                    entry = {"name": p.name, "description": p.description or "", "text": task}
                    if names:
                        entry["arguments"] = names
                    prompts.append(entry)
    return tools, prompts


def manifest(wharf: str) -> dict:
    wharf = str(Path(wharf).resolve())
    tools, prompts = asyncio.run(served(wharf))
    if not tools:
        sys.exit("release: wharf served no tools")
    v = version(wharf)
    return {
        "manifest_version": "0.3",
        "name": "wharf",
        "display_name": "wharf (Docker)",
        "version": v,
        "description": "Manage Docker in plain language; every tool group runs as a sandboxed "
        "WebAssembly plugin.",
        "long_description": (REPO / "docs/bundle.md").read_text(),
        "author": {"name": "wharf developers", "url": SOURCE},
        "repository": {"type": "git", "url": SOURCE},
        "homepage": SOURCE,
        "license": "Apache-2.0",
        "keywords": ["docker", "containers", "compose", "wasm"],
        "server": {
            "type": "binary",
            "entry_point": "server/wharf",
            "mcp_config": {
                "command": "${__dirname}/server/wharf",
                # A `multiple` directory setting expands to one argument per directory.
                "args": ["serve", "${user_config.allowed_roots}"],
                "env": {
                    "WHARF_READ_ONLY": "${user_config.read_only}",
                    "WHARF_TOOLSETS": "${user_config.toolsets}",
                    # Empty means unset: the docker CLI's choice (context, else the socket).
                    "DOCKER_HOST": "${user_config.docker_host}",
                },
            },
        },
        "tools": tools,
        "prompts": prompts,
        "compatibility": {"platforms": ["linux"]},
        "user_config": {
            "allowed_roots": {
                "type": "directory",
                "title": "Allowed directories",
                "description": "Host directories that bind mounts, file copies and image builds "
                "may use. Nothing outside them is read or written.",
                "multiple": True,
                "required": True,
            },
            "read_only": {
                "type": "boolean",
                "title": "Read-only",
                "description": "Serve only tools that never change anything; the host refuses "
                "every Docker write too.",
                "default": False,
            },
            "toolsets": {
                "type": "string",
                "title": "Tool groups",
                "description": "Comma-separated groups to serve: containers, networks, "
                "volumes, images, monitoring, compose, swarm; default (all but swarm) or all. "
                "Fewer groups leave Claude more context.",
                "default": "default",
            },
            "docker_host": {
                "type": "string",
                "title": "Docker host",
                "description": "Engine address, e.g. unix:///run/user/1000/docker.sock or "
                "tcp://host:2376 (empty: what the docker CLI uses).",
                "default": "",
            },
        },
    }


def pack(wharf: str, out: str) -> None:
    with tempfile.TemporaryDirectory() as stage:
        stage = Path(stage)
        (stage / "server").mkdir()
        shutil.copy2(wharf, stage / "server/wharf")
        os.chmod(stage / "server/wharf", 0o755)
        (stage / "manifest.json").write_text(json.dumps(manifest(wharf), indent=2) + "\n")
        mcpb("validate", str(stage / "manifest.json"))
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        mcpb("pack", str(stage), out)
    print(f"release: packed {out}")


def unpacked(bundle: str, into: Path) -> dict:
    mcpb("unpack", bundle, str(into))
    return json.loads((into / "manifest.json").read_text())


def launch(manifest: dict, where: Path, user_config: dict) -> dict:
    """The command line Claude Desktop runs: mcpb's own substitution of the manifest's
    mcp_config, with the user's answers over the manifest's defaults."""
    script = """
import { getMcpConfigForManifest } from "@anthropic-ai/mcpb";
const [manifest, dir, user] = JSON.parse(process.argv[1]);
const home = process.env.HOME;
const cfg = await getMcpConfigForManifest({
  manifest, extensionPath: dir, userConfig: user, pathSeparator: "/",
  systemDirs: { HOME: home, DESKTOP: home, DOCUMENTS: home, DOWNLOADS: home },
});
if (!cfg) { console.error("mcpb gave no command: required settings missing"); process.exit(1); }
console.log(JSON.stringify(cfg));
"""
    p = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps([manifest, str(where), user_config])],
        capture_output=True,
        text=True,
        cwd=npm_prefix(),
    )
    if p.returncode != 0:
        sys.exit(f"release: substituting the manifest failed:\n{p.stderr}")
    return json.loads(p.stdout)


async def serve_check(cfg: dict, manifest: dict | None) -> None:
    env = dict(os.environ)
    env.update(cfg.get("env", {}))
    env.setdefault("WHARF_LOG", "wharf=warn")

    params = StdioServerParameters(command=cfg["command"], args=cfg["args"], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            names = sorted(t.name for t in (await session.list_tools()).tools)
            listed = sorted(t["name"] for t in manifest["tools"]) if manifest else names
            if not names:
                sys.exit("release: no tools served")
            if names != listed:
                sys.exit(
                    "bundle: the manifest lists other tools than the bundle serves: "
                    f"only listed {sorted(set(listed) - set(names))}, "
                    f"only served {sorted(set(names) - set(listed))}"
                )
            r = await session.call_tool("list_containers", {"all": True})
            text = "\n".join(c.text for c in r.content if getattr(c, "text", None))
            if r.is_error:
                sys.exit(f"release: list_containers failed: {text}")
            print(f"release: served {len(names)} tools; list_containers:\n{text}")


def check(bundle: str) -> None:
    with tempfile.TemporaryDirectory() as where:
        where = Path(where)
        m = unpacked(bundle, where / "bundle")
        binary = where / "bundle" / m["server"]["entry_point"]
        if not os.access(binary, os.X_OK):
            sys.exit(f"release: {m['server']['entry_point']} is not executable once unpacked")
        root = where / "root"
        root.mkdir()
        # The engine this machine's docker CLI would use, as the user would give it.
        answers = {"allowed_roots": [str(root)], "docker_host": os.environ.get("DOCKER_HOST", "")}
        cfg = launch(m, where / "bundle", answers)
        if cfg["args"] != ["serve", str(root)]:
            sys.exit(f"release: unexpected command line {cfg['args']}")
        # As a fresh install sees it: no config of this machine's user is read.
        home = where / "home"
        home.mkdir()
        env = dict(cfg.get("env", {}), HOME=str(home), WHARF_CONFIG=str(home / "none.toml"))
        asyncio.run(serve_check(dict(cfg, env=env), m))


def reject_invalid(bundle: str) -> None:
    with tempfile.TemporaryDirectory() as where:
        where = Path(where)
        m = unpacked(bundle, where / "bundle")
        path = where / "bundle/manifest.json"
        mcpb("validate", str(path))
        broken = dict(m)
        broken["user_config"] = dict(m["user_config"])
        broken["user_config"]["allowed_roots"] = dict(m["user_config"]["allowed_roots"], type="folder")
        path.write_text(json.dumps(broken))
        p = mcpb("validate", str(path), check=False)
        if p.returncode == 0:
            sys.exit("release: mcpb validate accepted a manifest with an unknown setting type")
        print("release: mcpb validate refuses a broken manifest")


def sha256(path: str) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# The one host directory an image installed from the registry may use.
ROOT_INPUT = {
    "description": "A host directory that bind mounts, copies and builds may use",
    "isRequired": True,
    "format": "filepath",
}


def server_json(bundle: str, image: str, out: str) -> None:
    with tempfile.TemporaryDirectory() as where:
        m = unpacked(bundle, Path(where))
    v = m["version"]
    name = Path(bundle).name
    entry = {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
        "name": REGISTRY_NAME,
        "title": "wharf",
        "description": "Docker MCP server whose tool groups are sandboxed WebAssembly plugins",
        "repository": {"url": SOURCE, "source": "github"},
        "websiteUrl": SOURCE,
        "version": v,
        "packages": [
            {
                "registryType": "mcpb",
                "identifier": f"{SOURCE}/releases/download/v{v}/{name}",
                "version": v,
                "fileSha256": sha256(bundle),
                "transport": {"type": "stdio"},
            },
            {
                # The registry takes an image's version from its tag, and refuses a field.
                "registryType": "oci",
                "identifier": image,
                "runtimeHint": "docker",
                "runtimeArguments": [
                    {"type": "positional", "value": "-i"},
                    {"type": "positional", "value": "--rm"},
                    {
                        "type": "named",
                        "name": "-v",
                        "value": "/var/run/docker.sock:/var/run/docker.sock",
                    },
                    {
                        "type": "named",
                        "name": "--group-add",
                        "description": "The group id that owns the Docker socket, so the "
                        "image's unprivileged user may use it",
                        "isRequired": True,
                        "format": "number",
                    },
                    {
                        # wharf checks paths in its own file system and the engine resolves
                        # them on the host: the root is mounted at the same path.
                        "type": "named",
                        "name": "-v",
                        "value": "{root}:{root}",
                        "variables": {"root": ROOT_INPUT},
                    },
                ],
                "packageArguments": [
                    {"type": "positional", "value": "serve"},
                    {"type": "positional", "value": "{root}", "variables": {"root": ROOT_INPUT}},
                ],
                "transport": {"type": "stdio"},
            },
        ],
    }
    if len(entry["description"]) > 100:
        sys.exit("release: the registry allows a description of at most 100 characters")
    Path(out).write_text(json.dumps(entry, indent=2) + "\n")
    print(f"release: wrote {out}")


def main() -> None:
    cmd, *args = sys.argv[1:] or ["help"]
    if cmd == "pack" and len(args) == 2:
        pack(*args)
    elif cmd == "check" and len(args) == 1:
        check(*args)
    elif cmd == "reject-invalid" and len(args) == 1:
        reject_invalid(*args)
    elif cmd == "server-json" and len(args) == 3:
        server_json(*args)
    elif cmd == "serve" and args:
        asyncio.run(serve_check({"command": args[0], "args": args[1:]}, None))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
