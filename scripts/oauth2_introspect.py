#!/usr/bin/env python3
"""A local OAuth2 token-introspection endpoint (RFC 7662) for the test mail stack's Dovecot.

Dovecot's oauth2 passdb POSTs `token=...` here; the answer says whether the token is active and
whose it is. Tokens live in a file of `TOKEN USER` lines (scripts/mailstack addtoken), read
again at each request, so a test can issue and revoke tokens while everything runs.
"""
import argparse
import json
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def lookup(path, token):
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[0] == token:
                    return parts[1]
    except FileNotFoundError:
        pass
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tokens", required=True)
    args = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
            token = (form.get("token") or [""])[0]
            user = lookup(args.tokens, token) if token else None
            body = {"active": True, "username": user} if user else {"active": False}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *a):
            print("introspect: " + fmt % a, flush=True)

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
