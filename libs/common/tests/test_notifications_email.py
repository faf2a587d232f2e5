"""Email notifications reach a real SMTP server (aiosmtpd); temporary refusals are retried."""

from __future__ import annotations

from barito_common.alerts import AlertTransition
from barito_common.kafka.backoff import Backoff
from barito_common.notifications import deliver
from barito_common.settings import SmtpSettings
from barito_testing.alert_channels import email_channel, sample_notification
from barito_testing.smtp_receiver import smtp_receiver

FAST = Backoff(base_s=0.01, cap_s=0.05)


async def test_the_mail_arrives_with_subject_recipients_samples_and_the_notification_id() -> None:
    notification = sample_notification()
    channel = email_channel("oncall@example.com", "dev@example.com")
    async with smtp_receiver() as mail:
        result = await deliver(
            channel,
            notification,
            opener=None,
            private_targets=True,
            smtp=mail.settings(sender="alerts@barito.example"),
        )
        [received] = await mail.wait_for(1)

    assert result.delivered and result.attempts == 1
    assert received.recipients == ["oncall@example.com", "dev@example.com"]
    assert received.sender == "alerts@barito.example"
    assert received["Subject"] == "[Barito] FIRING critical: checkout errors on checkout"
    assert received["To"] == "oncall@example.com, dev@example.com"
    assert received["X-Barito-Notification-Id"] == notification.id
    assert received["Message-ID"] == (
        f"<barito.{notification.id.replace(':', '.')}@barito.example>"
    )
    assert "12 matching events in the last 5 min" in received.text
    assert '"message":"payment failed"' in received.text
    assert "Open in Barito: https://barito.example/apps/checkout/alerts" in received.text


async def test_a_login_is_used_when_a_username_is_set() -> None:
    resolved = sample_notification(transition=AlertTransition.RESOLVED)
    async with smtp_receiver(credentials=("barito", "mail password")) as mail:
        result = await deliver(
            email_channel("oncall@example.com"),
            resolved,
            opener=None,
            private_targets=True,
            smtp=mail.settings(),
        )
        [received] = await mail.wait_for(1)

    assert result.delivered
    assert received["Subject"] == "[Barito] RESOLVED critical: checkout errors on checkout"


async def test_a_wrong_smtp_password_fails_at_once_without_quoting_it() -> None:
    async with smtp_receiver(credentials=("barito", "mail password")) as mail:
        result = await deliver(
            email_channel("oncall@example.com"),
            sample_notification(),
            opener=None,
            private_targets=True,
            smtp=mail.settings(password="not the password"),
            backoff=FAST,
        )

    assert not result.delivered and result.attempts == 1
    assert result.error is not None
    assert result.error.startswith(f"SMTP 535 from {mail.host}:{mail.port}")
    assert "not the password" not in result.error


async def test_a_permanent_550_fails_at_once_naming_the_reply() -> None:
    async with smtp_receiver(answers=["550 5.1.1 mailbox unavailable"]) as mail:
        result = await deliver(
            email_channel("nobody@example.com"),
            sample_notification(),
            opener=None,
            private_targets=True,
            smtp=mail.settings(),
            backoff=FAST,
        )

    assert not result.delivered and result.attempts == 1
    assert result.error == f"SMTP 550 from {mail.host}:{mail.port}: 5.1.1 mailbox unavailable"
    assert mail.messages == [] and mail.refused == 1


async def test_a_temporary_451_is_retried_and_the_mail_arrives_once() -> None:
    async with smtp_receiver(answers=["451 4.3.0 try again later"] * 2) as mail:
        result = await deliver(
            email_channel("oncall@example.com"),
            sample_notification(),
            opener=None,
            private_targets=True,
            smtp=mail.settings(),
            backoff=FAST,
        )
        await mail.wait_for(1)

    assert result.delivered and result.attempts == 3
    assert mail.refused == 2 and len(mail.messages) == 1


async def test_an_installation_without_smtp_says_which_setting_is_missing() -> None:
    result = await deliver(
        email_channel("oncall@example.com"),
        sample_notification(),
        opener=None,
        private_targets=True,
        smtp=SmtpSettings(),
    )

    assert not result.delivered and result.attempts == 0
    assert result.error == "no SMTP server is configured (BARITO_SMTP__HOST)"


async def test_an_unreachable_smtp_server_is_retried_then_named() -> None:
    async with smtp_receiver() as mail:
        settings = mail.settings()
    result = await deliver(
        email_channel("oncall@example.com"),
        sample_notification(),
        opener=None,
        private_targets=True,
        smtp=settings,
        attempts=2,
        backoff=FAST,
    )

    assert not result.delivered and result.attempts == 2
    assert result.error == (
        f"could not reach the SMTP server {settings.host}:{settings.port} "
        "(SMTPConnectError) after 2 attempts"
    )


async def test_a_channel_without_recipients_is_refused() -> None:
    async with smtp_receiver() as mail:
        result = await deliver(
            email_channel(),
            sample_notification(),
            opener=None,
            private_targets=True,
            smtp=mail.settings(),
        )

    assert result.error == "the email channel has no recipients"
