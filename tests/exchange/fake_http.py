"""A stand-in for aiohttp's ClientSession under the real ccxt classes: records every request, answers from routes.

ccxt builds, signs and parses exactly as it would against the venue; only the socket is replaced. A route answers
a method and path (optionally only when given query/body parameters match) with canned replies in order (the last
one repeats), or raises a transport error (timeout, connection reset) the way aiohttp would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Reply:
    body: Any  # dict/list: sent as JSON; str: sent as is
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return self.body if isinstance(self.body, str) else json.dumps(self.body)


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str]
    body: str | None

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query))

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def params(self) -> dict[str, Any]:
        """Query and body parameters together (JSON or form-encoded body)."""
        params: dict[str, Any] = dict(self.query)
        if self.body:
            try:
                decoded = json.loads(self.body)
            except json.JSONDecodeError:
                decoded = dict(parse_qsl(self.body))
            if isinstance(decoded, dict):
                params.update(decoded)
        return params


@dataclass
class Route:
    method: str
    path: str
    replies: list[Reply | BaseException]
    when: Mapping[str, str]

    def matches(self, request: Request) -> bool:
        if request.method != self.method or request.path != self.path:
            return False
        params = request.params
        return all(str(params.get(key)) == value for key, value in self.when.items())

    def next_reply(self) -> Reply | BaseException:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


class _Response:
    def __init__(self, reply: Reply) -> None:
        self.status = reply.status
        self.reason = "OK" if reply.status < 400 else "Error"
        self.headers = dict(reply.headers)
        self._text = reply.text()

    async def text(self, errors: str = "strict") -> str:
        return self._text


class _Call:
    def __init__(self, session: FakeSession, request: Request) -> None:
        self._session = session
        self._request = request

    async def __aenter__(self) -> _Response:
        reply = self._session.answer(self._request)
        if isinstance(reply, BaseException):
            raise reply
        return _Response(reply)

    async def __aexit__(self, *exc: object) -> None:
        return None


class FakeSession:
    """Routes and a request log; pass it to ccxt as ``session`` (the factory's ``session=`` argument)."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.routes: list[Route] = []
        self.requests: list[Request] = []
        self.closed = False

    def route(
        self,
        method: str,
        path: str,
        *replies: Reply | BaseException | Any,
        when: Mapping[str, str] | None = None,
    ) -> None:
        """Answer ``method path`` with these replies in turn (plain data is a 200 JSON reply). Newest route wins."""
        wrapped = [r if isinstance(r, Reply | BaseException) else Reply(r) for r in replies]
        self.routes.insert(0, Route(method.upper(), path, wrapped, dict(when or {})))

    def answer(self, request: Request) -> Reply | BaseException:
        self.requests.append(request)
        for route in self.routes:
            if route.matches(request):
                return route.next_reply()
        return Reply({"fake": f"no route for {request.method} {request.path}", "params": request.params}, 404)

    def made(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method.upper() and r.path == path]

    def _call(self, method: str, url: Any, data: bytes | None = None, headers: Any = None, **_: Any) -> _Call:
        body = data.decode() if isinstance(data, bytes) else data
        return _Call(self, Request(method, str(url), dict(headers or {}), body))

    def get(self, url: Any, **kwargs: Any) -> _Call:
        return self._call("GET", url, **kwargs)

    def post(self, url: Any, **kwargs: Any) -> _Call:
        return self._call("POST", url, **kwargs)

    def delete(self, url: Any, **kwargs: Any) -> _Call:
        return self._call("DELETE", url, **kwargs)

    def put(self, url: Any, **kwargs: Any) -> _Call:
        return self._call("PUT", url, **kwargs)

    async def close(self) -> None:
        self.closed = True
