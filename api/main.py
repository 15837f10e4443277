"""The ASGI application uvicorn imports: `api.main:app`."""

from api.app import create_app

app = create_app(freeze_heap=True)  # the served process: see `api.app._freeze_heap`
