"""Call tools through the official Python MCP SDK, which validates every structured result
against the tool's output schema and raises when it does not match (as the TypeScript SDK
does), and report every call whose outcome is not the one expected.

Usage: python3 python_schemas.py SCENARIO.json

SCENARIO.json:
  {"command": WHARF_BIN, "args": ["serve", ...],
   "cover_all": true,                  # every served tool with an output schema must
                                       # succeed at least once below (the default)
   "calls": [{"tool": NAME, "args": {...}, "expect": "ok" | "error",
              "contains": [TEXT, ...],  # texts the result's content must carry
              "text": TEXT,             # the result's whole text, exactly
              "structured": JSON,       # its structuredContent, exactly
              "max_text": N,            # the text's length at most
              "measure": LABEL}]}       # print the result's size as `measured LABEL: ...`

Exits non-zero, listing each failure, when any call goes otherwise. Prints the tools it
found with an output schema, so the caller can see what was covered.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def texts(result) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "text", None) is not None)


async def main(path: str) -> int:
    with open(path) as f:
        scenario = json.load(f)
    env = dict(os.environ)
    env.setdefault("WHARF_LOG", "wharf=warn")
    params = StdioServerParameters(command=scenario["command"], args=scenario["args"], env=env)
    failures = []
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            with_schema = sorted(t.name for t in tools if t.output_schema is not None)
            print("tools with an output schema:", " ".join(with_schema))
            succeeded = set()
            for call in scenario["calls"]:
                tool, args, expect = call["tool"], call.get("args", {}), call["expect"]
                label = f"{tool} {json.dumps(args)}"
                try:
                    # The SDK checks structuredContent against outputSchema here.
                    result = await session.call_tool(tool, args)
                except Exception as e:  # the SDK's refusal of a result, or a protocol error
                    failures.append(f"{label}: the SDK raised {type(e).__name__}: {e}")
                    continue
                got = "error" if result.is_error else "ok"
                body = texts(result)
                if got != expect:
                    failures.append(f"{label}: expected {expect}, got {got}: {body[:2000]}")
                    continue
                missing = [t for t in call.get("contains", []) if t not in body]
                if missing:
                    failures.append(f"{label}: result lacks {missing}: {body[:2000]}")
                    continue
                if "text" in call and body != call["text"]:
                    failures.append(f"{label}: text {body!r}, expected {call['text']!r}")
                    continue
                if "max_text" in call and len(body) > call["max_text"]:
                    failures.append(f"{label}: text of {len(body)} characters: {body[:2000]}")
                    continue
                structured = result.structured_content
                if "structured" in call and structured != call["structured"]:
                    failures.append(
                        f"{label}: structured {json.dumps(structured)}, "
                        f"expected {json.dumps(call['structured'])}"
                    )
                    continue
                if "measure" in call:
                    # What a model reads: the text, and the structured result as JSON.
                    size = len(json.dumps(structured, separators=(",", ":"))) if structured else 0
                    print(
                        f"measured {call['measure']}: text {len(body.encode())} bytes, "
                        f"structured {size} bytes"
                    )
                if got == "ok":
                    succeeded.add(tool)
            if scenario.get("cover_all", True):
                for name in with_schema:
                    if name not in succeeded:
                        failures.append(
                            f"{name} declares an output schema but no call of it succeeded "
                            "here: add a scenario for it"
                        )
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print("python schemas: ok")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
