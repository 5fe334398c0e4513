"""Drive `wharf serve --http` with the official Python MCP SDK's Streamable HTTP client.

Usage: python3 python_http.py URL TOKEN IMAGE_TAG FIXTURE
Exits non-zero, with the reason, when wharf does not speak the protocol as the SDK expects.
"""

import asyncio
import sys

from mcp import ClientSession
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client


async def session_call(url: str, token: str, tool: str, args: dict):
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with client:
        async with streamable_http_client(url, http_client=client) as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool(tool, args)


async def main(url: str, token: str, tag: str, fixture: str) -> None:
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with client:
        async with streamable_http_client(url, http_client=client) as (read, write, *_):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                assert init.server_info.name == "wharf", init
                tools = {t.name for t in (await session.list_tools()).tools}
                assert {"list_containers", "build_image"} <= tools, sorted(tools)

                progress = []

                async def on_progress(done, total, message):
                    progress.append((done, total, message))

                built = await session.call_tool(
                    "build_image",
                    {
                        "dockerfile": f"FROM {fixture}\nRUN true\nRUN true\n",
                        "tags": [tag],
                        "labels": {"wharf.test": "http"},
                    },
                    progress_callback=on_progress,
                )
                assert not built.is_error, built
                assert progress, "no progress notifications over HTTP"

    # Sessions are independent: many at once, each its own initialize and call.
    results = await asyncio.gather(
        *(session_call(url, token, "list_networks", {}) for _ in range(16))
    )
    assert all(not r.is_error for r in results), [r for r in results if r.is_error]
    print(f"python mcp sdk over http: ok ({len(progress)} progress notifications, 16 sessions)")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
