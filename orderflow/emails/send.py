"""Sending a rendered message: over SMTP, or into a folder of .eml files (the embedded default).

The two failures a caller treats differently are told apart: `MailNotSent` (retry freely) and
`MailOutcomeUnknown` (the message may have arrived; resending could send it twice).
"""

from __future__ import annotations

import functools
import os
import re
import smtplib
import ssl
import tempfile
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

DEFAULT_TIMEOUT = 20.0
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class MailNotSent(Exception):
    """Nothing was sent (server unreachable, refused before accepting the message): safe to
    retry."""


class MailOutcomeUnknown(Exception):
    """The connection broke after the message data went out: it may have been delivered; do not
    resend blindly."""


@functools.lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """Loading the system's CA certificates costs ~60 ms: once per process, and only for TLS."""
    return ssl.create_default_context()


class SmtpMailer:
    """smtp://[user:pass@]host[:port][?starttls=true][&timeout=seconds], or smtps://host[:465].

    Plain smtp:// never upgrades by itself: ask for starttls=true, and then it is required.
    """

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT):
        parts = _parse_smtp_url(url, timeout)
        self.host, self.port, self.timeout = parts["host"], parts["port"], parts["timeout"]
        self.username, self._password = parts["username"], parts["password"]
        self.implicit_tls, self.starttls = parts["implicit_tls"], parts["starttls"]

    def __repr__(self) -> str:
        return f"SmtpMailer({self.host}:{self.port}, tls={self.implicit_tls or self.starttls})"

    def send(self, message: EmailMessage) -> None:
        sender, recipients = _envelope(message)
        international = _international(message)
        data = _flatten(message, international)
        try:
            smtp = self._open()
        except (OSError, smtplib.SMTPException) as exc:
            raise MailNotSent(f"no session with {self.host}:{self.port}: {_reason(exc)}") from exc
        try:
            _transmit(smtp, sender, recipients, data, international)
        except BaseException:
            smtp.close()
            raise
        _close(smtp)

    def _open(self) -> smtplib.SMTP:
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=_tls())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=_tls())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self._password or "")
        except BaseException:
            _close(smtp)
            raise
        return smtp


@dataclass(frozen=True)
class FolderMailer:
    """Each message becomes `<Message-ID>.eml` in `folder`: sending it again replaces the file."""

    folder: str

    def send(self, message: EmailMessage) -> None:
        folder = Path(self.folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            data = _flatten(message, _international(message))
            _write_atomically(folder / f"{_file_name(message)}.eml", data)
        except OSError as exc:
            raise MailNotSent(f"could not write to {folder}: {exc.strerror or exc}") from exc


def mailer_from_settings(settings) -> SmtpMailer | FolderMailer:
    if settings.SMTP_URL.strip():
        return SmtpMailer(settings.SMTP_URL.strip())
    return FolderMailer(settings.MAIL_DIR)


def _parse_smtp_url(url: str, timeout: float) -> dict:
    """The parts of an SMTP URL; errors name the part that is wrong, never the URL (a password)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("SMTP_URL has no host name (smtp://host:port)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("SMTP_URL has a port that is not a number from 1 to 65535") from None
    options = _options(parts.query)
    if parts.scheme == "smtps" and options.get("starttls"):
        raise ValueError("SMTP_URL: smtps:// is already encrypted; use starttls=true with smtp://")
    return dict(
        host=parts.hostname, port=port or (465 if parts.scheme == "smtps" else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=parts.scheme == "smtps", starttls=options.get("starttls", False),
        timeout=options.get("timeout", timeout),
    )


def _options(query: str) -> dict:
    options = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "starttls" and value.lower() in _TRUE + _FALSE:
            options["starttls"] = value.lower() in _TRUE
        elif key == "timeout" and _positive_number(value):
            options["timeout"] = float(value)
        elif key in ("starttls", "timeout"):
            raise ValueError(f"SMTP_URL: {key}={value!r} is not valid "
                             "(starttls takes true or false, timeout a number of seconds)")
        else:
            raise ValueError(f"SMTP_URL: unknown option {key!r}; use starttls or timeout")
    return options


def _positive_number(value: str) -> bool:
    try:
        return 0 < float(value) < float("inf")
    except ValueError:
        return False


def _envelope(message: EmailMessage) -> tuple[str, list[str]]:
    sender = message["From"].addresses[0].addr_spec
    recipients = [a.addr_spec for field in ("To", "Cc", "Bcc")
                  for a in (message[field].addresses if message[field] else ())]
    if not recipients:
        raise ValueError("the message has no recipient (To, Cc or Bcc)")
    return sender, recipients


def _transmit(smtp: smtplib.SMTP, sender: str, recipients: list[str], data: bytes,
              international: bool) -> None:
    """The SMTP transaction, spelled out so a failure is placed before or after the data went.

    smtplib's `sendmail` raises the same `SMTPServerDisconnected` whether the connection broke at
    MAIL FROM or while the server was accepting the message; only the second may have delivered.
    """
    try:
        options = ["SMTPUTF8", "BODY=8BITMIME"] if international else []
        _check(smtp.mail(sender, options), (250,), "MAIL FROM")
        for recipient in recipients:
            _check(smtp.rcpt(recipient), (250, 251), f"RCPT TO <{recipient}>")
        _check(smtp.docmd("DATA"), (354,), "DATA")
    except (OSError, smtplib.SMTPException) as exc:
        raise MailNotSent(f"the server did not take the message: {_reason(exc)}") from exc
    try:
        smtp.send(_dot_stuffed(data))
        code, reply = smtp.getreply()
    except (OSError, smtplib.SMTPException) as exc:
        raise MailOutcomeUnknown(f"connection lost as the message went: {_reason(exc)}") from exc
    _check((code, reply), (250,), "the message")


def _check(answer: tuple[int, bytes], expected: tuple[int, ...], step: str) -> None:
    code, reply = answer
    if code not in expected:
        raise MailNotSent(f"the server refused {step}: {code} {reply.decode(errors='replace')}")


def _dot_stuffed(data: bytes) -> bytes:
    """RFC 5321 §4.5.2: a line starting with "." gets another; the data ends with CRLF.CRLF."""
    stuffed = re.sub(rb"(?m)^\.", b"..", data)
    return stuffed + (b"" if stuffed.endswith(b"\r\n") else b"\r\n") + b".\r\n"


def _flatten(message: EmailMessage, international: bool = False) -> bytes:
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n", utf8=international))


def _international(message: EmailMessage) -> bool:
    """An address outside ASCII (zoë@example.com) can only travel as SMTPUTF8 (RFC 6531)."""
    return any(not a.addr_spec.isascii() for field in ("From", "To", "Cc", "Reply-To")
               if message[field] for a in message[field].addresses)


def _close(smtp: smtplib.SMTP) -> None:
    """QUIT politely; a server that does not answer it is simply closed on."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
    return str(exc) or type(exc).__name__


def _file_name(message: EmailMessage) -> str:
    """The Message-ID made safe as a file name: `<notice-42@orderflow>` -> `notice-42@orderflow`."""
    name = re.sub(r"[^A-Za-z0-9@._+-]", "_", str(message["Message-ID"] or "").strip().strip("<>"))
    return name.lstrip(".")[:200] or uuid.uuid4().hex


def _write_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same folder, then `os.replace`: a reader sees the whole file or none."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
