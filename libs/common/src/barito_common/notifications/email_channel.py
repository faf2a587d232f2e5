"""The email channel: a plain-text mail through the installation's SMTP server.

Retried: connection errors, timeouts and temporary (4xx) replies such as
451 or a greylisting 450; a permanent (5xx) reply, e.g. 550 for an unknown
mailbox or 535 for a refused login, fails at once. The message::

    From: <BARITO_SMTP__SENDER>
    To: <the channel's recipients>
    Subject: [Barito] FIRING critical: checkout errors on checkout
    Message-ID: <barito.<rule id>.<sequence>@<the sender's domain>>
    X-Barito-Notification-Id: <rule id>:<sequence>

    FIRING critical: checkout errors on checkout (group shop)
    12 matching events in the last 5 min, at 2026-12-05 16:00:00 UTC.
    Samples: one JSON line each ...
    Open in Barito: <url>
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from barito_common.notifications.contract import DeliveryResult, Notification
from barito_common.notifications.retry import Attempt, Tries, with_retries
from barito_common.notifications.webhook import ID_HEADER
from barito_common.notifications.wording import count_words, headline, sample_line
from barito_common.settings import SmtpSettings

__all__ = ["NO_SMTP", "email_message", "send_email"]

NO_SMTP = "no SMTP server is configured (BARITO_SMTP__HOST)"
_SAMPLE_WIDTH = 500


def email_message(notification: Notification, *, sender: str, to: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = f"[Barito] {headline(notification)}"
    message["Date"] = format_datetime(notification.at)
    domain = sender.rpartition("@")[2].strip("> ") or "barito"
    # A Message-ID's left part may not hold the id's ":"; the exact id
    # travels in its own header.
    message["Message-ID"] = f"<barito.{notification.id.replace(':', '.')}@{domain}>"
    message[ID_HEADER] = notification.id
    message.set_content(_text(notification))
    return message


def _text(notification: Notification) -> str:
    at = notification.at.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    lines = [
        f"{headline(notification)} (group {notification.group})",
        "",
        f"{count_words(notification)}, at {at}.",
    ]
    if notification.samples:
        lines += ["", "Samples:"]
        lines += [f"  {sample_line(s, width=_SAMPLE_WIDTH)}" for s in notification.samples]
    if notification.url:
        lines += ["", f"Open in Barito: {notification.url}"]
    lines += ["", "-- ", f"Barito alert notification {notification.id}"]
    return "\n".join(lines) + "\n"


async def send_email(
    to: list[str],
    notification: Notification,
    smtp: SmtpSettings,
    *,
    tries: Tries,
) -> DeliveryResult:
    if not smtp.enabled:
        return DeliveryResult(False, 0, NO_SMTP)
    message = email_message(notification, sender=smtp.sender, to=to)
    address = f"{smtp.host}:{smtp.port}"
    server = f"the SMTP server {address}"
    password = smtp.password.get_secret_value() if smtp.password else None

    async def attempt(time_limit_s: float) -> Attempt:
        try:
            await aiosmtplib.send(
                message,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username or None,
                password=password if smtp.username else None,
                use_tls=smtp.security == "tls",
                start_tls=smtp.security == "starttls",
                timeout=time_limit_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as err:
            codes = [refused.code for refused in err.recipients]
            detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in err.recipients)
            return Attempt(
                False,
                retry=all(400 <= code < 500 for code in codes),
                error=f"{server} refused every recipient",
                detail=detail,
            )
        except aiosmtplib.SMTPResponseException as err:
            return Attempt(
                False,
                retry=400 <= err.code < 500,
                error=f"SMTP {err.code} from {address}",
                detail=err.message,
            )
        except aiosmtplib.SMTPTimeoutError:
            return Attempt(False, True, f"no answer from {server} within {time_limit_s:.3g} s")
        except (aiosmtplib.SMTPServerDisconnected, OSError) as err:
            return Attempt(False, True, f"could not reach {server} ({type(err).__name__})")
        except aiosmtplib.SMTPException as err:
            # E.g. STARTTLS asked of a server that does not offer it: a setting to fix.
            return Attempt(False, False, f"{server} cannot deliver", detail=str(err))
        return Attempt.ok()

    return await with_retries(attempt, tries=tries, timeout_s=smtp.timeout_s)
