"""Sending e-mail. Callers send only after their transaction committed, so no mail ever describes
a change that was rolled back. E-mail bodies carry links, never clinical details."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from flask import current_app

log = logging.getLogger("app.mail")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class MailBackend(Protocol):
    def send(self, mail: Mail) -> None: ...


class ConsoleMail:
    """Demo and development: the message goes to the log, clearly marked, and nowhere else."""

    def send(self, mail: Mail) -> None:
        log.info("[DEMO E-MAIL, not sent] to=%s subject=%s\n%s", mail.to, mail.subject, mail.body)


class SmtpMail:
    def __init__(self, host: str, port: int, username: str | None, password: str | None, starttls: bool,
                 sender: str) -> None:  # fmt: skip
        self.host, self.port, self.username, self.password = host, port, username, password
        self.starttls, self.sender = starttls, sender

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, mail.to, mail.subject
        message.set_content(mail.body)
        with smtplib.SMTP(self.host, self.port, timeout=15) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def backend() -> MailBackend:
    config = current_app.config
    if config["MAIL_BACKEND"] == "smtp":
        return SmtpMail(config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_USERNAME"], config["SMTP_PASSWORD"],
                        config["SMTP_STARTTLS"], config["MAIL_FROM"])  # fmt: skip
    return ConsoleMail()


def send(mail: Mail) -> None:
    """Send, logging (not raising) a delivery failure: the user's action already succeeded."""
    try:
        backend().send(mail)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send e-mail to %s", mail.to)
