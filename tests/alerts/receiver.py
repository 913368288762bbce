"""A local HTTP receiver on 127.0.0.1 (aiohttp, in a thread of its own) that records what alert senders post.

Its answers are scripted per request (``answer(...)``); once the script is used up it answers 200
``{"ok": true}``, which every destination kind takes as delivered. ``HANG`` never answers until the receiver
stops. Running in its own thread and loop, it serves async tests and the synchronous CLI alike.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Reply:
    status: int = 200
    body: Mapping[str, object] | str = field(default_factory=lambda: {"ok": True})
    headers: Mapping[str, str] = field(default_factory=dict)
    hang: bool = False


OK = Reply()
HANG = Reply(hang=True)


@dataclass(frozen=True, slots=True)
class Received:
    path: str
    body: object  # the decoded JSON document
    at: float  # time.monotonic() on arrival
    answered: int  # the status answered (0: never answered)


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._script: dict[str | None, list[Reply]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._release: asyncio.Event | None = None
        self.base_url = ""

    def answer(self, *replies: Reply, path: str | None = None) -> None:
        """Answer the next requests (to ``path`` only, when given) with these replies, in order."""
        self._script.setdefault(path, []).extend(replies)

    def _next_reply(self, path: str) -> Reply:
        for script in (self._script.get(path), self._script.get(None)):
            if script:
                return script.pop(0)
        return OK

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def delivered(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.answered < 300]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        reply = self._next_reply(request.path)
        if reply.hang:
            assert self._release is not None
            self.requests.append(Received(request.path, json.loads(raw), time.monotonic(), 0))
            await self._release.wait()
            return web.Response(status=200)
        self.requests.append(Received(request.path, json.loads(raw), time.monotonic(), reply.status))
        text = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        return web.Response(status=reply.status, text=text, headers=dict(reply.headers))

    def _serve(self, started: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, shutdown_timeout=1.0)

        async def start() -> None:
            self._release = asyncio.Event()
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            server = site._server
            assert server is not None
            port = server.sockets[0].getsockname()[1]
            self.base_url = f"http://127.0.0.1:{port}"

        loop.run_until_complete(start())
        started.set()
        loop.run_forever()
        assert self._release is not None
        self._release.set()
        loop.run_until_complete(runner.cleanup())
        loop.close()


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    started = threading.Event()
    thread = threading.Thread(target=receiver._serve, args=(started,), daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the test receiver did not start")
    try:
        yield receiver
    finally:
        assert receiver._loop is not None
        receiver._loop.call_soon_threadsafe(receiver._loop.stop)
        thread.join(10)
