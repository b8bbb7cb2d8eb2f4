"""A local stand-in for an OpenAI-compatible server: POST /v1/chat/completions, as documented.

It runs in the test process on 127.0.0.1 (http.server in a thread), records every request
(headers and JSON body) and answers from a per-test script: each scripted `Reply` (or a
function of the request returning one) is used once, in order; when the script is empty the
default responder answers (valid triage JSON for a `triage` schema, a rubric for a `judgement`
schema, a short reply otherwise). Answers carry `logprobs.content[].logprob` when the request
asked for logprobs, and `usage`, like the real API.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    logprob: float = -0.05  # per token
    body: dict[str, Any] | None = None  # an error body, or a whole answer to send as it is


Responder = Callable[[dict[str, Any]], Reply]
DEFAULT_REPLY = (
    "Thanks for getting in touch! I have passed this on to the right team and we will "
    "get back to you shortly with an update."
)


def default_responder(request: dict[str, Any]) -> Reply:
    fmt = request.get("response_format") or {}
    name = (fmt.get("json_schema") or {}).get("name")
    if name == "triage":
        props = fmt["json_schema"]["schema"]["properties"]
        kinds, topics = props["kind"]["enum"], props["topic"]["enum"]
        answer = {
            "kind": "question" if "question" in kinds else kinds[0],
            "topic": "refund" if "refund" in topics else topics[0],
            "urgency": 0.42,
            "sentiment": -0.2,
            "spam": 0.01,
            "language": "en",
            "out_of_scope": False,
            "confidence": dict.fromkeys(
                ["kind", "topic", "urgency", "sentiment", "spam", "language"], 0.9
            ),
        }
        return Reply(json.dumps(answer))
    if name == "judgement":
        rubric = {"relevance": 0.9, "accuracy": 0.8, "completeness": 0.7, "tone": 1.0}
        return Reply(json.dumps({**rubric, "comments": ["Could name the order number."]}))
    return Reply(DEFAULT_REPLY)


def completion(request: dict[str, Any], reply: Reply) -> dict[str, Any]:
    content = reply.content or ""
    tokens = re.findall(r"\s*\S+", content) or [""]
    logprobs = None
    if request.get("logprobs"):
        logprobs = {
            "content": [
                {
                    "token": t,
                    "logprob": reply.logprob,
                    "bytes": list(t.encode()),
                    "top_logprobs": [],
                }
                for t in tokens
            ],
            "refusal": None,
        }
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in request["messages"])
    return {
        "id": f"chatcmpl-fake{int(time.time() * 1000)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": logprobs,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(tokens),
            "total_tokens": prompt_tokens + len(tokens),
        },
    }


def _error(message: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _problem(request: Any) -> str | None:
    """What the documented API would reject with 400."""
    if not isinstance(request, dict) or not request.get("model"):
        return "'model' is required"
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    fmt = request.get("response_format")
    if fmt is not None and fmt.get("type") == "json_schema":
        schema = fmt.get("json_schema") or {}
        if not schema.get("name") or not isinstance(schema.get("schema"), dict):
            return "response_format.json_schema needs 'name' and 'schema'"
    return None


class FakeOpenAIServer:
    def __init__(self, responder: Responder = default_responder) -> None:
        self.responder = responder
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests it was answering at the same time
        self._script: deque[Reply | Responder] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, *replies: Reply | Responder) -> None:
        with self._lock:
            self._script.extend(replies)

    def sent_text(self) -> str:
        """Everything the clients sent, as one string (for checks on what left the machine)."""
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in self.requests)

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(request)
            step = self._script.popleft() if self._script else self.responder
        return step(request) if callable(step) else step

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, _error(f"no route {self.path}", "not_found"), {})
                try:
                    request = json.loads(raw)
                except json.JSONDecodeError:
                    return self._send(400, _error("body is not JSON"), {})
                with fake._lock:
                    fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                problem = _problem(request)
                if problem:
                    return self._send(400, _error(problem), {})
                reply = fake._next(request)
                with fake._lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    if reply.delay_s:
                        time.sleep(reply.delay_s)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1
                if reply.status != 200:
                    body = reply.body or _error(f"scripted {reply.status}", "server_error")
                    return self._send(reply.status, body, reply.headers)
                self._send(200, reply.body or completion(request, reply), reply.headers)

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

        return Handler


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def running_server(responder: Responder = default_responder) -> Iterator[FakeOpenAIServer]:
    """For a pytest fixture: `yield from running_server()`."""
    server = FakeOpenAIServer(responder).start()
    try:
        yield server
    finally:
        server.stop()
