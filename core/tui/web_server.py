"""textual-serve's Server with a login, an Origin check and no secret in its output (``duban dashboard --web``).

Imported only when textual-serve (the ``web`` extra) is installed; :mod:`duban.tui.web` checks that first.

- **Login**: the server makes a random one-time token and ``duban dashboard --web`` prints the address with it
  on the terminal that started it. Opening ``/?token=…`` once trades the token for a session cookie (HttpOnly,
  SameSite=Strict, named after the port) and redirects to ``/``; the token is then spent. The page, the
  WebSocket that runs the dashboard and downloads all need the cookie; anything else gets 403.
- **Origin and Host**: the WebSocket handshake must come from the page this server served (``Origin`` exactly
  ``http://127.0.0.1:PORT``) and every request must name this server in ``Host`` (no DNS rebinding).
- **No secret in output**: textual-serve's banner (which prints the app command) and aiohttp's access log (which
  would print ``?token=``) are switched off; the child command carries no database URL (it comes through the
  environment, see :func:`duban.cli.cmd_dashboard.child_command`).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from pathlib import Path

from aiohttp import web
from textual_serve.server import Server

LOOPBACK = "127.0.0.1"
REFUSED_LOGIN = (
    "需要登录：请打开启动 duban dashboard --web 的终端里打印的网址（含一次性令牌）。"
    "令牌只能用一次；换一个浏览器时请重新启动网页模式。"
)
REFUSED_ORIGIN = "拒绝：请求不是来自本服务的页面（Origin 或 Host 不符）。"


class DubanServer(Server):
    """A textual-serve Server on 127.0.0.1 behind a one-time token and a session cookie."""

    def __init__(self, command: str, *, port: int, title: str, templates_path: Path) -> None:
        super().__init__(command, host=LOOPBACK, port=port, title=title, templates_path=templates_path)
        self.token: str | None = secrets.token_urlsafe(24)
        self.login_url = f"{self.public_url}/?token={self.token}"
        self.cookie = f"duban_session_{port}"
        self._sessions: set[str] = set()
        self._origin = self.public_url
        self._host = f"{LOOPBACK}:{port}"

    # ------------------------------------------------------------------ checks

    def _host_ok(self, request: web.Request) -> bool:
        return request.headers.get("Host", "") == self._host

    def _logged_in(self, request: web.Request) -> bool:
        value = request.cookies.get(self.cookie, "")
        return bool(value) and any(hmac.compare_digest(value, s) for s in self._sessions)

    def _redeem(self, token: str) -> str | None:
        """A new session id for the right token, once; ``None`` afterwards or for any other token."""
        if self.token is None or not hmac.compare_digest(token.encode(), self.token.encode()):
            return None
        self.token = None
        session = secrets.token_urlsafe(32)
        self._sessions.add(session)
        return session

    @staticmethod
    def _refuse(message: str) -> web.Response:
        return web.Response(status=403, text=message + "\n", content_type="text/plain", charset="utf-8")

    # ------------------------------------------------------------------ routes

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if not self._host_ok(request):
            return self._refuse(REFUSED_ORIGIN)
        if self._logged_in(request):
            response: web.StreamResponse = await super().handle_index(request)
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
        session = self._redeem(request.query.get("token", ""))
        if session is None:
            return self._refuse(REFUSED_LOGIN)
        redirect = web.HTTPSeeOther(location="/")
        redirect.set_cookie(self.cookie, session, httponly=True, samesite="Strict", path="/")
        redirect.headers["Referrer-Policy"] = "no-referrer"
        return redirect

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if not self._host_ok(request) or request.headers.get("Origin") != self._origin:
            raise web.HTTPForbidden(text=REFUSED_ORIGIN + "\n", content_type="text/plain")
        if not self._logged_in(request):
            raise web.HTTPForbidden(text=REFUSED_LOGIN + "\n", content_type="text/plain")
        return await super().handle_websocket(request)

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        if not self._host_ok(request) or not self._logged_in(request):
            return self._refuse(REFUSED_LOGIN)
        response: web.StreamResponse = await super().handle_download(request)
        return response

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints its command here; duban prints its own banner (without secrets) instead."""

    def initialize_logging(self) -> None:
        super().initialize_logging()
        logging.getLogger("aiohttp.access").disabled = True  # its lines carry the query string (?token=)
