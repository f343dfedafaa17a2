"""A real SMTP server for tests (aiosmtpd), on a free loopback port, and what it received."""

import contextlib
import email
import email.policy
import os
import signal
import threading
import time

from aiosmtpd.controller import Controller

from tests.servers import free_port, wait_for


class Inbox:
    """aiosmtpd's handler: keeps every message it accepts (parsed, with its envelope).

    `refuse(n)`: answer "451" to the next n messages (a server that is busy); `refuse(n, to=…)`:
    to the next n for that address (math.inf: all of them). `kill_at(n, pid)`:
    on the n-th message, SIGKILL process `pid` (the worker sending it) while it waits for the
    answer, and do not accept that message."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []
        self.times = []  # when each was accepted (time.perf_counter)
        self.seen = 0
        self._refusals = {}
        self._kill = None

    def refuse(self, count, to="*"):
        with self.lock:
            self._refusals[to] = count

    def kill_at(self, number, pid):
        with self.lock:
            self._kill = (number, pid)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.seen += 1
            if self._kill and self.seen == self._kill[0]:
                os.kill(self._kill[1], signal.SIGKILL)
                self._kill = None
                return "421 Closing: the sender is gone"
            for to in (*envelope.rcpt_tos, "*"):
                if self._refusals.get(to, 0) > 0:
                    self._refusals[to] -= 1
                    return "451 Try again later"
            # Parsed when asked for (messages()), so as to answer the sender at once.
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            self.times.append(time.perf_counter())
        return "250 OK"

    @property
    def envelopes(self):
        """(sender, recipients, parsed message) of each message accepted."""
        with self.lock:
            received = list(self.received)
        return [(sender, to, parse(content)) for sender, to, content in received]

    def messages(self):
        return [message for _, _, message in self.envelopes]

    def count(self):
        with self.lock:
            return len(self.received)

    def wait_for(self, count, seconds=60):
        wait_for(lambda: self.count() >= count, f"{count} messages at the SMTP server", seconds)
        return self.messages()


@contextlib.contextmanager
def smtp_server():
    """Start an SMTP server on 127.0.0.1; yields (inbox, port)."""
    inbox = Inbox()
    # Port 0 does not work here: the controller connects to its own port to see it started.
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def parse(content):
    return email.message_from_bytes(content, policy=email.policy.default)


def parts(message):
    """(text, html) of a received multipart/alternative message, decoded, with "\n" for the
    "\r\n" that SMTP carries."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")
