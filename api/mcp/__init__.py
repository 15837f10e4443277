"""The orchestrator as an MCP server (Model Context Protocol, on the official `mcp` SDK) at
`/mcp`: `tools` (thin adapters acting as the caller: a chat turn, a search of the manuals, the
workshop appointments), `results` (what they answer, as typed models with text beside them:
pure) and `endpoint` (the Streamable HTTP transport, behind the REST API's bearer token)."""

__all__ = ["endpoint", "results", "tools"]
