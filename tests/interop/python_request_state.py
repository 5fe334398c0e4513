"""The confirmation's requestState under attack, through the Python MCP SDK on stdio, speaking
MCP 2026-07-28 (server/discover, no initialize), where the question travels in the result
and the client sends the state back: a state is neither computed in advance nor replayed.

The user confirms removing VICTIM once. A container of the same name is then made again, and
the client sends (1) the state it got for the first removal, a second time, and (2) the
digest of the question, which wharf once accepted as the state. Each time it says "accept"
without asking anyone. Both must be asked again, and the new VICTIM must survive.

Usage: python3 python_request_state.py WHARF VICTIM IMAGE (WHARF_CONFIG in the environment)
"""

import asyncio
import hashlib
import os
import subprocess
import sys

import mcp.types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ACCEPT = {"wharf-confirm": types.ElicitResult(action="accept")}


def exists(name: str) -> bool:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"name=^{name}$"],
        capture_output=True, text=True, check=True,
    )
    return bool(out.stdout.strip())


def make(name: str, image: str) -> None:
    subprocess.run(
        ["docker", "create", "--name", name, "--label", "wharf.test=1", image, "true"],
        capture_output=True, check=True,
    )


async def never_asked(context, params):
    raise AssertionError("wharf sent an elicitation request; the question belongs in the result")


async def main(wharf: str, victim: str, image: str) -> None:
    args = {"container": victim, "force": True}
    server = StdioServerParameters(command=wharf, args=["serve"], env=dict(os.environ))
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write, elicitation_callback=never_asked) as session:
            # server/discover, not initialize: MCP 2026-07-28, where the question
            # travels in the result.
            await session.discover()

            async def call(**kw):
                return await session.call_tool(
                    "remove_container", args, allow_input_required=True, **kw
                )

            # The honest round: asked, answered, removed.
            asked = await call()
            assert isinstance(asked, types.InputRequiredResult), asked
            question = asked.input_requests["wharf-confirm"].params.message
            assert victim in question, question
            done = await call(input_responses=ACCEPT, request_state=asked.request_state)
            assert isinstance(done, types.CallToolResult) and not done.is_error, done
            assert not exists(victim), "the confirmed removal did not happen"

            make(victim, image)
            # Replayed: the very state the user's yes was given for.
            again = await call(input_responses=ACCEPT, request_state=asked.request_state)
            assert isinstance(again, types.InputRequiredResult), (
                f"a replayed requestState ran the call: {again}"
            )
            assert again.request_state != asked.request_state
            assert exists(victim), "a replayed requestState removed the container"

            # Computed in advance: the question's digest.
            digest = hashlib.sha256(question.encode()).hexdigest()
            forged = await call(input_responses=ACCEPT, request_state=digest)
            assert isinstance(forged, types.InputRequiredResult), (
                f"a computed requestState ran the call: {forged}"
            )
            assert exists(victim), "a computed requestState removed the container"
    print("python mcp sdk request state: ok")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
