#!/usr/bin/env python3
"""A test SMTP server on loopback that hands each mail to Dovecot's LMTP socket.

Part of scripts/mailstack. Every recipient is accepted at RCPT; after DATA the mail is handed
to Dovecot in one LMTP transaction: LHLO (Dovecot refuses EHLO/HELO), MAIL, RCPT per recipient,
DATA, then one reply per accepted recipient. The first LMTP failure becomes the SMTP reply.
"""

import argparse
import asyncio
import signal
import smtplib
import sys

from aiosmtpd.controller import Controller


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
    def __init__(self, socket_path):
        self.socket_path = socket_path

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
    a = p.parse_args()
    controller = Controller(
        Handler(a.lmtp),
        hostname="127.0.0.1",
        port=a.port,
        data_size_limit=64 * 1024 * 1024,
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
