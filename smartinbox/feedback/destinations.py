"""Where retraining datasets go: a folder (default), an S3-compatible bucket, or e-mail."""

from __future__ import annotations

import shutil
import smtplib
from email.message import EmailMessage
from pathlib import Path

from smartinbox.config import Settings
from smartinbox.kit.errors import DomainError, ValidationFailed


class DeliveryFailed(DomainError):
    status_code = 502
    code = "delivery_failed"


def describe(settings: Settings) -> str:
    return settings.retrain_destination.strip() or str(settings.resolved_export_dir())


def deliver(settings: Settings, files: list[Path]) -> list[str]:
    """Send the dataset files; returns where each one now is (a path, s3:// URL or address)."""
    target = settings.retrain_destination.strip()
    if target.startswith("s3://"):
        return [_to_s3(settings, target, f) for f in files]
    if target.startswith("mailto:"):
        return _by_mail(settings, target.removeprefix("mailto:"), files)
    folder = Path(target) if target else settings.resolved_export_dir()
    return [_to_folder(folder, f) for f in files]


def _to_folder(folder: Path, file: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file.name
    if target.resolve() != file.resolve():
        partial = folder / f".{file.name}.part"
        shutil.copyfile(file, partial)
        partial.replace(target)
    return str(target)


def _to_s3(settings: Settings, url: str, file: Path) -> str:
    import boto3
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise ValidationFailed(
            "retrain_destination s3:// URL names no bucket", field="retrain_destination"
        )
    key = f"{prefix.strip('/')}/{file.name}" if prefix.strip("/") else file.name
    client = boto3.client(
        "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region
    )
    try:
        client.upload_file(str(file), bucket, key)  # multipart for large files, streamed from disk
    except (Boto3Error, BotoCoreError, ClientError) as exc:
        raise DeliveryFailed(f"upload to s3://{bucket}/{key} failed: {exc}") from exc
    return f"s3://{bucket}/{key}"


def _by_mail(settings: Settings, address: str, files: list[Path]) -> list[str]:
    if "@" not in address:
        raise ValidationFailed(
            "retrain_destination mailto: needs an address", field="retrain_destination"
        )
    size = sum(f.stat().st_size for f in files)
    if size > settings.smtp_max_attachment_bytes:
        raise DeliveryFailed(
            f"dataset is {size} bytes, over the e-mail limit of {settings.smtp_max_attachment_bytes}; "
            "use a folder or S3 destination"
        )
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = address
    mail["Subject"] = f"SmartInbox retraining dataset ({', '.join(f.name for f in files)})"
    mail.set_content("The retraining dataset and its record are attached.")
    for f in files:
        subtype = (
            "json" if f.suffix == ".json" else "jsonl" if f.suffix == ".jsonl" else "octet-stream"
        )
        mail.add_attachment(
            f.read_bytes(), maintype="application", subtype=subtype, filename=f.name
        )
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"e-mail to {address} failed: {exc}") from exc
    return [f"mailto:{address}#{f.name}" for f in files]
