"""The embedded default's mailer: each e-mail becomes one readable .eml file in a folder."""

import email.policy
import itertools
import threading
from datetime import datetime
from pathlib import Path

from django.core.mail import InvalidMailer
from django.core.mail.backends.base import BaseEmailBackend

# RFC 5322 allows lines of 998 characters: links stay on one line and text stays
# unencoded, so a newcomer can read the file or open it in any mail program.
READABLE = email.policy.default.clone(cte_type="8bit", max_line_length=998)


class MailFolderBackend(BaseEmailBackend):
    _counter = itertools.count(1)
    _lock = threading.Lock()

    def __init__(self, *, file_path=None, **kwargs):
        super().__init__(**kwargs)
        if not file_path:
            raise InvalidMailer("OPTIONS must define 'file_path'.", alias=self.alias)
        self.folder = Path(file_path)

    def send_messages(self, email_messages):
        self.folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            with self._lock:
                number = next(self._counter)
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            path = self.folder / f"{stamp}-{number:04d}.eml"
            path.write_bytes(message.message(policy=READABLE).as_bytes())
            sent += 1
        return sent
