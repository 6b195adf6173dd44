#!/usr/bin/env python3
"""A test SMTP server on loopback that hands each mail to Dovecot's LMTP socket.

Part of scripts/mailstack. Every recipient is accepted at RCPT; after DATA the mail is handed
to Dovecot in one LMTP transaction: LHLO (Dovecot refuses EHLO/HELO), MAIL, RCPT per recipient,
DATA, then one reply per accepted recipient. The first LMTP failure becomes the SMTP reply.
With --tokens it also offers AUTH XOAUTH2 (never required), checked against the OAuth2 tokens
file scripts/mailstack keeps (`TOKEN USER` lines): an unknown token or another user gets 535.
"""

import argparse
import asyncio
import base64
import signal
import smtplib
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def token_owner(path, token):
    """The user an OAuth2 token was issued to, or None."""
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[0] == token:
                    return parts[1]
    except FileNotFoundError:
        pass
    return None


def lmtp_deliver(socket_path, mail_from, rcpts, data):
    """Delivers to every recipient; returns the first failure as an SMTP reply, or None."""
    lmtp = smtplib.LMTP(socket_path)
    try:
        lmtp.ehlo("mailstack")  # smtplib's LMTP sends LHLO here
        code, msg = lmtp.mail(mail_from or "")
        if code >= 400:
            return f"{code} {msg.decode(errors='replace')}"
        accepted = []
        for r in rcpts:
            code, msg = lmtp.rcpt(r)
            if code < 400:
                accepted.append(r)
            else:
                return f"{code} {msg.decode(errors='replace')}"
        lmtp.putcmd("data")
        code, msg = lmtp.getreply()
        if code != 354:
            return f"451 LMTP DATA refused: {code} {msg.decode(errors='replace')}"
        q = smtplib.quotedata(data.decode("latin-1") if isinstance(data, bytes) else data)
        lmtp.send((q + "\r\n.\r\n").encode("latin-1"))
        # NOTE: LMTP answers once per accepted recipient after the final dot.
        for _ in accepted:
            code, msg = lmtp.getreply()
            if code >= 400:
                return f"{code} {msg.decode(errors='replace')}"
        return None
    finally:
        try:
            lmtp.quit()
        except Exception:
            pass


class Handler:
    def __init__(self, socket_path, tokens=None):
        self.socket_path = socket_path
        self.tokens = tokens

    async def auth_XOAUTH2(self, server, args):
        """SASL XOAUTH2 with the initial response: user=U^Aauth=Bearer T^A^A."""
        if not self.tokens or len(args) < 2:
            return AuthResult(success=False, handled=False)
        try:
            raw = base64.b64decode(args[1], validate=True).decode("utf-8")
        except Exception:
            return AuthResult(success=False, handled=False)
        fields = dict(p.split("=", 1) for p in raw.split("\x01") if "=" in p)
        auth = fields.get("auth", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        user = fields.get("user", "")
        if token and token_owner(self.tokens, token) == user:
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        loop = asyncio.get_running_loop()
        try:
            err = await loop.run_in_executor(
                None,
                lmtp_deliver,
                self.socket_path,
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content or envelope.content,
            )
        except (OSError, smtplib.SMTPException) as e:
            return f"451 LMTP unavailable: {e}"
        return err or "250 Delivered"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--lmtp", required=True)
    p.add_argument("--tokens", help="OAuth2 tokens file: offer AUTH XOAUTH2")
    a = p.parse_args()
    auth = {}
    if a.tokens:
        # Loopback tests only: AUTH without TLS, and only the XOAUTH2 mechanism.
        auth = {"auth_require_tls": False, "auth_exclude_mechanism": ["LOGIN", "PLAIN"]}
    controller = Controller(
        Handler(a.lmtp, a.tokens),
        hostname="127.0.0.1",
        port=a.port,
        data_size_limit=64 * 1024 * 1024,
        **auth,
    )
    controller.start()
    print(f"smtp_to_lmtp listening on 127.0.0.1:{a.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
