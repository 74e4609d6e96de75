"""Drives Mira's MCP server with the official Python SDK (`mcp` on PyPI), a client no
one here wrote. Usage:

    python_session.py stdio MIRA_BIN            (in the project directory)
    python_session.py http URL TOKEN

Prints one JSON object: what initialize answered, the tool names, and the structured
answers of a few calls (the SDK validates each against the tool's output schema).
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.exceptions import McpError

CALLS = [
    ("callers", {"symbol": "apply_discount"}),
    ("cochange", {"path": "pricing.py"}),
    ("impact", {"symbol": "apply_discount"}),
    ("build_errors", {}),
    ("blame", {"path": "pricing.py"}),
]


async def drive(session: ClientSession) -> dict:
    init = await session.initialize()
    tools = await session.list_tools()
    out = {
        "protocol": init.protocolVersion,
        "server": init.serverInfo.name,
        "instructions": init.instructions,
        "tools": [t.name for t in tools.tools],
        "calls": {},
    }
    for name, args in CALLS:
        result = await session.call_tool(name, args)
        out["calls"][name] = {
            "isError": result.isError,
            "structured": result.structuredContent,
            "text": [c.text for c in result.content if c.type == "text"],
        }
    bad = await session.call_tool("callers", {"symbol": 7})
    out["bad"] = {"isError": bad.isError, "text": [c.text for c in bad.content if c.type == "text"]}
    try:
        await session.call_tool("no_such_tool", {})
        out["unknown"] = None
    except McpError as e:
        out["unknown"] = {"code": e.error.code, "message": e.error.message}
    prompts = await session.list_prompts()
    out["prompts"] = [p.name for p in prompts.prompts]
    resources = await session.list_resources()
    out["resources"] = [str(r.uri) for r in resources.resources]
    return out


async def main() -> None:
    mode = sys.argv[1]
    if mode == "stdio":
        params = StdioServerParameters(command=sys.argv[2], args=["mcp"], env=dict(os.environ))
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                result = await drive(session)
    else:
        url, token = sys.argv[2], sys.argv[3]
        headers = {"Authorization": f"Bearer {token}"}
        async with streamablehttp_client(url, headers=headers) as (read, write, _):
            async with ClientSession(read, write) as session:
                result = await drive(session)
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
