"""The ASGI application uvicorn imports: `api.main:app`."""

from api.app import create_app

app = create_app(tune_gc=True)  # the served process: see `api.app._tune_gc`
