"""Real OpenAI-compatible HTTP endpoints that misbehave like small models do."""

import http.server
import json
import time

LOOPING_START = "Green tea needs **80 degrees** [1].\n\n- steep it for two minutes [1]\n"


class Looping(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint whose model loops: a sensible start, then "-o"
    for ever (up to 2,000 pieces), as small models do."""

    sent = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        pieces = [LOOPING_START] + ["-o "] * 2000
        try:
            for n, piece in enumerate(pieces):
                chunk = {"choices": [{"delta": {"content": piece}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                type(self).sent = n + 1
                time.sleep(0.002)
            self.wfile.write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the guard stopped reading: what the test wants

    def log_message(self, *args):
        pass
