"""The bare relay: the floor for this stack, against which `/ws/chat` is measured.

A minimal FastAPI WebSocket endpoint that does what `/ws/chat` does for one answer and nothing
more: accept, acknowledge `auth`, and for each `message` stream the same simulator through the
same OpenAI SDK, sending each delta as a `token` frame and then a `complete` frame. No graph,
no routing, no retrieval, no database, no authentication check. It takes the product's
speed-up of the SDK's per-chunk parsing too, and reads the model through aiohttp as the
product does (the SDK's own `DefaultAioHttpClient`), so that it stays the floor.

    python -m bench.relay --port 8091 --llm-url http://127.0.0.1:8090/v1
"""

from __future__ import annotations

import argparse
import json
import uuid

import openai
import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from orchestrator.sdk_speedups import speed_up_openai_chunks


def build_app(llm_url: str, model: str = "test-model") -> FastAPI:
    app = FastAPI()
    speed_up_openai_chunks()
    client = openai.AsyncOpenAI(
        base_url=llm_url,
        api_key="sk-bench",
        max_retries=0,
        timeout=600,
        http_client=openai.DefaultAioHttpClient(timeout=600),
    )

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.websocket("/ws/chat")
    async def chat(websocket: WebSocket) -> None:
        await websocket.accept()
        session_id = uuid.uuid4().hex
        seq = 0
        try:
            while True:
                frame = json.loads(await websocket.receive_text())
                if frame.get("type") == "auth":
                    await websocket.send_text(json.dumps({"type": "auth_success"}))
                    continue
                if frame.get("type") != "message":
                    continue
                turn_id = uuid.uuid4().hex
                ids = {"session_id": session_id, "turn_id": turn_id}
                parts: list[str] = []
                stream = await client.chat.completions.create(
                    model=model,
                    messages=[{"role": "user", "content": str(frame.get("message", ""))}],
                    stream=True,
                )
                async for chunk in stream:
                    if not chunk.choices:
                        continue
                    token = chunk.choices[0].delta.content
                    if token:
                        parts.append(token)
                        seq += 1
                        await websocket.send_text(
                            json.dumps({"type": "token", "token": token, "seq": seq, **ids})
                        )
                seq += 1
                await websocket.send_text(
                    json.dumps({"type": "complete", "response": "".join(parts), "seq": seq, **ids})
                )
        except WebSocketDisconnect:
            return

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--llm-url", required=True, help="the simulator's base URL (…/v1)")
    args = parser.parse_args(argv)
    uvicorn.run(
        build_app(args.llm_url),
        host=args.host,
        port=args.port,
        log_level="warning",
        ws_ping_interval=20,
        ws_ping_timeout=20,
    )


if __name__ == "__main__":
    main()
