"""Drive `wharf serve` with the official Python MCP SDK (a client wharf did not write).

Usage: python3 python_sdk.py WHARF_BIN CONTAINER_NAME
Exits non-zero, with the reason, when wharf does not speak the protocol as the SDK expects.
"""

import asyncio
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main(wharf: str, container: str) -> None:
    env = dict(os.environ)
    env.setdefault("WHARF_LOG", "wharf=warn")
    params = StdioServerParameters(command=wharf, args=["serve"], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            assert init.server_info.name == "wharf", init.serverInfo
            assert init.capabilities.tools is not None, init.capabilities

            tools = (await session.list_tools()).tools
            by_name = {t.name: t for t in tools}
            assert "list_containers" in by_name, sorted(by_name)
            remove = by_name["remove_container"]
            assert remove.annotations.destructive_hint is True, remove.annotations
            assert by_name["list_containers"].output_schema is not None

            listed = await session.call_tool("list_containers", {"all": True, "name": container})
            assert not listed.is_error, listed
            assert container in listed.content[0].text, listed.content[0].text
            rows = listed.structured_content["containers"]
            assert [r["name"] for r in rows] == [container], rows

            missing = await session.call_tool("inspect_container", {"container": container + "-nope"})
            assert missing.is_error, missing
            assert missing.content[0].text == f"not found: No such container: {container}-nope", missing

            bad = await session.call_tool("list_containers", {"limit": 0})
            assert bad.is_error and bad.content[0].text.startswith("invalid arguments:"), bad

            resources = (await session.list_resources()).resources
            uris = [str(r.uri) for r in resources]
            assert "docker://system/info" in uris, uris
            templates = (await session.list_resource_templates()).resource_templates
            assert any(t.uri_template == "docker://containers/{id}/logs" for t in templates), templates
            inspected = await session.read_resource(f"docker://containers/{container}/inspect")
            assert container in inspected.contents[0].text, inspected

            prompts = {p.name for p in (await session.list_prompts()).prompts}
            assert {"troubleshoot_container", "clean_up"} <= prompts, prompts
            prompt = await session.get_prompt("troubleshoot_container", {"container": container})
            assert "## State" in prompt.messages[0].content.text, prompt
    print("python mcp sdk: ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
