"""Serve the fake channel on a listening socket inherited from the parent: `python -m tests.fakechannel FD DELAY`.

A separate process, so the channel and the code under test do not share one interpreter lock and the fake answers
with the timing of a real remote server.
"""

from __future__ import annotations

import socket
import sys

import uvicorn

from tests.fakechannel.server import create_app


def main() -> None:
    fd, delay = int(sys.argv[1]), float(sys.argv[2])
    sock = socket.socket(fileno=fd)
    config = uvicorn.Config(create_app(delay), log_level="warning", lifespan="off", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
