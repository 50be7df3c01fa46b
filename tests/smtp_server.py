"""A small real SMTP server for the delivery tests: it speaks the protocol over a socket,
keeps what it receives, and answers chosen recipients with chosen codes (451, 550, ...)."""

import re
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: str

    @property
    def notification_id(self) -> int | None:
        match = re.search(r"^X-Portal-Notification: (\d+)", self.data, re.MULTILINE)
        return int(match.group(1)) if match else None

    @property
    def subject(self) -> str:
        match = re.search(r"^Subject: (.*)$", self.data, re.MULTILINE)
        return match.group(1).strip() if match else ""


@dataclass
class SMTPServer:
    """Start with `start()`; `replies` maps a recipient address to (code, text) for RCPT TO."""

    replies: dict[str, tuple[int, str]] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before accepting each message's data
    received: list[Received] = field(default_factory=list)
    port: int = 0

    def start(self) -> "SMTPServer":
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str):
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self):
                self.reply("220 test.smtp ready")
                sender, recipients = "", []
                while raw := self.rfile.readline():
                    command = raw.decode(errors="replace").rstrip("\r\n")
                    verb = command[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 test.smtp")
                    elif verb == "MAIL":
                        sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        address = command.split(":", 1)[1].strip().split()[0].strip("<>")
                        code, text = sink.replies.get(address.lower(), (250, "OK"))
                        if code == 250:
                            recipients.append(address)
                        self.reply(f"{code} {text}")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        lines = []
                        while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                            lines.append(line.decode(errors="replace"))
                        time.sleep(sink.delay)
                        sink.received.append(Received(sender, recipients, "".join(lines)))
                        self.reply("250 OK queued")
                    elif verb == "RSET":
                        sender, recipients = "", []
                        self.reply("250 OK")
                    elif verb == "NOOP":
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    @property
    def mailer(self) -> dict:
        """A MAILERS entry that sends to this server."""
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "use_tls": False, "timeout": 5},
            }
        }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
