"""Confirmation of a destructive tool through the Python MCP SDK over Streamable HTTP, where
the SDK speaks MCP 2026-07-28: wharf returns the question as an InputRequiredResult and the
SDK retries with the user's answer.

Usage: python3 python_confirm.py URL TOKEN REMOVE_ME KEEP_ME
"""

import asyncio
import sys

import mcp.types as types
from mcp import ClientSession
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client


def answering(action: str, asked: list):
    async def callback(context, params):
        asked.append(params.message)
        return types.ElicitResult(action=action)

    return callback


async def call(url: str, token: str, tool: str, args: dict, callback=None):
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with client:
        async with streamable_http_client(url, http_client=client) as (read, write, *_):
            async with ClientSession(read, write, elicitation_callback=callback) as session:
                await session.initialize()
                result = await session.call_tool(tool, args)
                return result.content[0].text, bool(result.is_error)


async def main(url: str, token: str, remove_me: str, keep_me: str) -> None:
    asked = []
    text, failed = await call(
        url, token, "remove_container", {"container": keep_me, "force": True},
        answering("decline", asked),
    )
    assert failed and text == "cancelled: the user declined to run `remove_container`", text
    assert len(asked) == 1 and keep_me in asked[0], asked

    text, failed = await call(url, token, "remove_container", {"container": keep_me, "force": True})
    assert failed and "cannot ask for" in text, text

    text, failed = await call(
        url, token, "remove_container", {"container": remove_me, "force": True},
        answering("accept", asked),
    )
    assert not failed, text
    assert len(asked) == 2 and remove_me in asked[1], asked
    print("python mcp sdk confirmation over http: ok")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
