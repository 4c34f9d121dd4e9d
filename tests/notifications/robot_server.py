"""A local HTTP server on loopback that plays a WeCom and a DingTalk group robot.

It checks what a real robot checks: the WeCom `key`, the DingTalk `access_token` and, when the
robot has a signing secret, DingTalk's signature (timestamp within an hour, base64 HMAC-SHA256
of "timestamp\\nsecret"), and that the body is a markdown message. Tests script its answers per
token: "ok", ("errcode", n), "http500", "timeout" (no answer for `stall` seconds), "garbage",
"redirect" (307 to another address on this server).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Received:
    kind: str
    token: str
    query: dict
    body: dict
    signature_ok: bool | None = None


@dataclass
class RobotServer:
    secrets: dict[str, str] = field(default_factory=dict)  # DingTalk token -> signing secret
    script: dict[str, list] = field(default_factory=dict)  # token -> answers, first used first
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # why a request was refused
    stall: float = 1.5
    port: int = 0

    def answer_next(self, token: str, *answers) -> None:
        self.script.setdefault(token, []).extend(answers)

    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wecom_url(self, key: str) -> str:
        return f"{self.base()}/cgi-bin/webhook/send?key={key}"

    def dingtalk_url(self, token: str) -> str:
        return f"{self.base()}/robot/send?access_token={token}"

    def texts(self) -> list[str]:
        """Every message text received (WeCom content or DingTalk text)."""
        return [
            r.body["markdown"].get("content") or r.body["markdown"].get("text")
            for r in self.received
        ]


def _dingtalk_signature_ok(secret: str, query: dict) -> bool:
    try:
        timestamp = int(query["timestamp"][0])
        sign = query["sign"][0]  # parse_qs has already URL-decoded it
    except (KeyError, ValueError, IndexError):
        return False
    if abs(time.time() * 1000 - timestamp) > 3600 * 1000:
        return False
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    return hmac.compare_digest(expected, sign)


def make_handler(robot: RobotServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def _json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                robot.rejected.append("body is not JSON")
                return self._json(200, {"errcode": 40035, "errmsg": "invalid json"})
            if parts.path == "/cgi-bin/webhook/send":
                kind, token = "wecom", (query.get("key") or [""])[0]
                ok = body.get("msgtype") == "markdown" and "content" in body.get("markdown", {})
                signature_ok = None
            elif parts.path == "/robot/send":
                kind, token = "dingtalk", (query.get("access_token") or [""])[0]
                markdown = body.get("markdown", {})
                ok = (
                    body.get("msgtype") == "markdown" and "title" in markdown and "text" in markdown
                )
                secret = robot.secrets.get(token)
                signature_ok = _dingtalk_signature_ok(secret, query) if secret else None
                if secret and not signature_ok:
                    robot.rejected.append(f"bad signature for {token}")
                    return self._json(200, {"errcode": 310000, "errmsg": "sign not match"})
            else:
                robot.rejected.append(f"unknown path {parts.path}")
                return self._json(404, {"errcode": 404, "errmsg": "not found"})
            if not ok:
                robot.rejected.append(f"not a markdown message: {body}")
                return self._json(200, {"errcode": 40008, "errmsg": "invalid message type"})
            answers = robot.script.get(token) or []
            answer = answers.pop(0) if answers else "ok"
            robot.received.append(Received(kind, token, query, body, signature_ok))
            if answer == "timeout":
                time.sleep(robot.stall)
                return self._json(200, {"errcode": 0, "errmsg": "ok"})
            if answer == "redirect":
                self.send_response(307)
                self.send_header("Location", f"{robot.base()}/internal/admin")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if answer == "http500":
                return self._json(500, {"errcode": -1, "errmsg": "system busy"})
            if answer == "garbage":
                data = b"<html>gateway</html>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return None
            if isinstance(answer, tuple) and answer[0] == "errcode":
                return self._json(200, {"errcode": answer[1], "errmsg": "scripted error"})
            return self._json(200, {"errcode": 0, "errmsg": "ok"})

    return Handler


def start(robot: RobotServer) -> tuple[ThreadingHTTPServer, threading.Thread]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(robot))
    server.daemon_threads = True
    robot.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(name="robot")
def robot_fixture(app, monkeypatch):
    """A loopback WeCom/DingTalk robot the app may send to; the app gives up on an answer after
    0.5 s, and links point at https://dc.example.gov.cn."""
    server = RobotServer()
    http, thread = start(server)
    monkeypatch.setitem(app.config, "GROUP_WEBHOOK_HOSTS", f"127.0.0.1:{server.port}")
    monkeypatch.setitem(app.config, "GROUP_SEND_TIMEOUT", 0.5)
    monkeypatch.setitem(app.config, "BASE_URL", "https://dc.example.gov.cn")
    yield server
    http.shutdown()
    http.server_close()
    thread.join(timeout=5)
