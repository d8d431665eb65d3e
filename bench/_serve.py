"""Serve one app with werkzeug's threaded server on 127.0.0.1 (a benchmark's child process).

    python bench/_serve.py hub PORT     # hub.app.create_app(Settings()) — env gives the ledger
    python bench/_serve.py bare PORT    # a bare Flask app echoing the JSON body it was posted

``fiscalhub web`` is ``werkzeug.serving.run_simple(..., threaded=True)``, i.e. this same server.
"""
from __future__ import annotations

import json
import logging
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def bare_app():
    from flask import Flask, request
    app = Flask("bare")
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    @app.post("/api/v1/jobs")
    def echo():
        # parsed the way hub.api.parsing.json_body parses a job, then sent back
        data = json.loads(request.get_data(cache=True), parse_float=Decimal)
        return data, 201

    @app.get("/")
    def index():
        return {"name": "bare"}

    return app


def build_app(name: str):
    if name == "bare":
        return bare_app()
    if name == "hub":
        from hub.app import create_app
        from hub.config import Settings
        return create_app(Settings())
    raise SystemExit(f"unknown app {name!r}")


def main() -> None:
    from werkzeug.serving import make_server
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    name, port = sys.argv[1], int(sys.argv[2])
    server = make_server("127.0.0.1", port, build_app(name), threaded=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
