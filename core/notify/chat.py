"""duban's own sender for chat robots: DingTalk, WeCom (企业微信群机器人), Feishu and Lark.

apprise judges these by the HTTP status, but the robots answer refusals (signature mismatch, keyword
missing, rate limit) inside a 200 body. This module posts the JSON each robot accepts, reads the body and
classifies the outcome:

- delivered:  DingTalk / WeCom ``{"errcode": 0}``, Feishu / Lark ``{"code": 0}`` or ``{"StatusCode": 0}``;
- retryable:  network errors, timeouts, 429 and 5xx, a body that is not the robot's JSON, and the
              robots' rate-limit / busy codes (:data:`RETRYABLE_CODES`);
- permanent:  any other 4xx and any other non-zero code (bad key, signature, keyword, IP whitelist …).

For tests and relays a route may post elsewhere than the vendor's host: ``?base=http://127.0.0.1:PORT``
keeps the vendor's path (e.g. ``/cgi-bin/webhook/send?key=…``) under that base.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from duban.notify.delivery import Delivery

if TYPE_CHECKING:
    from duban.notify.routes import Route

VENDOR_BASE = {
    "wecombot": "https://qyapi.weixin.qq.com",
    "dingtalk": "https://oapi.dingtalk.com",
    "feishu": "https://open.feishu.cn",
    "lark": "https://open.larksuite.com",
}
#: codes in a 200 body that mean "try again later" (rate limits, system busy)
RETRYABLE_CODES: dict[str, frozenset[int]] = {
    "wecombot": frozenset({-1, 45009, 45033}),  # 系统繁忙; api freq out of limit; 并发过高
    "dingtalk": frozenset({-1, 130101, 410100}),  # 系统繁忙; send too fast; 限流
    "feishu": frozenset({9499, 11232, 11233, 11247}),  # too many requests; frequency limited
    "lark": frozenset({9499, 11232, 11233, 11247}),
}


def _sign(secret: str, timestamp: str) -> str:
    return base64.b64encode(
        hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode("ascii")


def _feishu_sign(secret: str, timestamp: str) -> str:
    return base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode(
        "ascii"
    )


def build_request(
    route: Route, text: str, *, now: float | None = None, mobiles: Sequence[str] = ()
) -> tuple[str, dict[str, Any]]:
    """The endpoint and JSON payload for ``text`` on ``route``; ``mobiles``: people to @ (DingTalk and WeCom
    robots, :mod:`duban.notify.mentions`) — in the payload only, never in the outbox."""
    from duban.notify.apprise_send import chat_parameters

    params = chat_parameters(route.url)
    token = params.get("token") or ""
    base = route.base or VENDOR_BASE[route.scheme]
    now = time.time() if now is None else now
    if route.scheme == "wecombot":
        content: dict[str, Any] = {"content": text}
        if mobiles:
            content["mentioned_mobile_list"] = list(mobiles)
        return f"{base}/cgi-bin/webhook/send?key={quote(token, safe='')}", {
            "msgtype": "text",
            "text": content,
        }
    if route.scheme == "dingtalk":
        query = {"access_token": token}
        secret = params.get("secret")
        if secret:
            stamp = str(int(now * 1000))
            query |= {"timestamp": stamp, "sign": _sign(secret, stamp)}
        payload_dt: dict[str, Any] = {"msgtype": "text", "text": {"content": text}}
        if mobiles:  # DingTalk highlights an @ only when the text names the mobile too
            payload_dt["text"]["content"] = text + "\n" + " ".join(f"@{m}" for m in mobiles)
            payload_dt["at"] = {"atMobiles": list(mobiles), "isAtAll": False}
        return f"{base}/robot/send?{urlencode(query)}", payload_dt
    payload: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
    secret_values = parse_qs(urlsplit(route.url).query).get("secret")
    if secret_values:
        stamp = str(int(now))
        payload |= {"timestamp": stamp, "sign": _feishu_sign(secret_values[0], stamp)}
    return f"{base}/open-apis/bot/v2/hook/{quote(token, safe='')}", payload


def classify_body(scheme: str, raw: bytes) -> Delivery:
    """The verdict of a robot's 200 answer."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return Delivery(False, False, f"应答不是 JSON：{raw[:200]!r}")
    if not isinstance(data, dict):
        return Delivery(False, False, f"应答格式不对：{str(data)[:200]}")
    if scheme in ("wecombot", "dingtalk"):
        code, msg = data.get("errcode"), data.get("errmsg", "")
    else:
        code = data.get("code", data.get("StatusCode"))
        msg = data.get("msg", data.get("StatusMessage", ""))
    if code is None:
        return Delivery(False, False, f"应答缺少状态码：{str(data)[:200]}")
    if code == 0:
        return Delivery(True, False, f"{code} {msg}".strip())
    permanent = code not in RETRYABLE_CODES.get(scheme, frozenset())
    kind = "拒绝" if permanent else "限流/繁忙，稍后重试"
    return Delivery(False, permanent, f"机器人{kind}：code={code} {msg}".strip())


def post_chat(route: Route, text: str, *, timeout: float = 10.0, mobiles: Sequence[str] = ()) -> Delivery:
    """POST ``text`` to the robot of ``route`` (@ ``mobiles``) and read its verdict."""
    endpoint, payload = build_request(route, text, mobiles=mobiles)
    request = urllib.request.Request(
        endpoint,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "duban"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, by config
            raw = response.read()
    except urllib.error.HTTPError as exc:
        status = exc.code
        retry = status == 429 or status >= 500
        return Delivery(False, not retry, f"HTTP {status} {exc.reason}")
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        return Delivery(False, False, f"网络错误：{type(exc).__name__}: {reason}")
    return classify_body(route.scheme, raw)
