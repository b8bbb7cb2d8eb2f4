"""Settings: every knob of SmartInbox, read from `SMARTINBOX_*` environment variables.

Every field carries a description; `tests/test_config.py` fails when one does not, and
`smartinbox config` prints them all, so the table in docs/configuration.md never drifts.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_FILE = Path("var") / "smartinbox.db"
MIN_SECRET_BYTES = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTINBOX_", env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = Field(
        "development",
        description="Deployment environment. In production a real secret key is required.",
    )
    database_url: str = Field(
        f"sqlite:///{DEFAULT_DB_FILE}",
        description=(
            "SQLAlchemy URL of the database. SQLite file by default (WAL mode, foreign keys on); "
            "use postgresql+psycopg://user:pass@host/db to scale out."
        ),
    )
    data_dir: Path | None = Field(
        None,
        description=(
            "Folder for every file the app writes (queue, trained models, exports, secret key). "
            "Defaults to a 'data' folder beside the SQLite database, or ./var/data for PostgreSQL."
        ),
    )
    queue_url: str | None = Field(
        None,
        description=(
            "Job queue storage. Empty: an SQLite file in the data folder (embedded default). "
            "redis://host:6379/0 for Redis-backed workers on many machines."
        ),
    )
    queue_name: str = Field("smartinbox", description="Name of the job queue (a Redis key prefix).")
    worker_threads: int = Field(
        2, ge=1, le=64, description="Worker threads of the embedded worker and `smartinbox worker`."
    )
    model_threads: int = Field(
        0,
        ge=0,
        le=64,
        description=(
            "CPU threads each process gives the local models (ONNX Runtime and NumPy's BLAS). "
            "0 chooses the cores divided by `worker_threads` (1 to 4), right for one worker "
            "process per machine; with N worker processes on one machine, set it so that "
            "N x worker_threads x model_threads does not exceed the cores (often 1)."
        ),
    )
    job_retries: int = Field(3, ge=0, le=20, description="How often a failed job is retried.")
    job_retry_delay_s: int = Field(5, ge=0, description="Seconds between retries of a failed job.")
    sweep_after_s: int = Field(
        120,
        ge=5,
        description=(
            "A message still without analysis this many seconds after it arrived is queued again "
            "by the periodic sweep (covers jobs lost when a worker was killed)."
        ),
    )
    sweep_batch: int = Field(
        500, ge=1, description="Most messages the periodic sweep re-queues in one run."
    )
    secret_key: str | None = Field(
        None,
        description=(
            "Key that signs session cookies. Empty: a random key is created once and kept in the "
            "data folder. Required in production: at least 32 bytes, not a placeholder."
        ),
    )
    public_url: str = Field(
        "http://localhost:8000",
        description=(
            "The address customers reach SmartInbox at; links sent to them (the CSAT rating "
            "link) start with it."
        ),
    )
    live_poll_s: int = Field(
        5,
        ge=1,
        le=300,
        description=(
            "Seconds between the conversation pages' checks for new messages and for other "
            "agents viewing the same conversation."
        ),
    )
    presence_ttl_s: int = Field(
        30,
        ge=2,
        le=3600,
        description=(
            "An agent counts as viewing a conversation for this many seconds after their page "
            "last checked in."
        ),
    )
    csat_link_max_age_days: int = Field(
        30, ge=1, description="Days a CSAT rating link sent with a solving reply stays valid."
    )
    login_max_attempts: int = Field(
        10, ge=1, description="Failed logins allowed per client and e-mail within the login window."
    )
    login_window_s: int = Field(
        300, ge=1, description="Seconds over which failed logins are counted for throttling."
    )
    session_max_age_s: int = Field(
        8 * 3600, ge=60, description="Seconds a UI login session stays valid."
    )
    cookie_secure: bool | None = Field(
        None,
        description=(
            "Send the session cookie over HTTPS only. Empty: on in production, off otherwise "
            "(set it to false only for a production test without TLS)."
        ),
    )
    trusted_proxies: str = Field(
        "",
        description=(
            "Comma-separated IP addresses (or CIDR ranges) of reverse proxies whose "
            "X-Forwarded-For and X-Forwarded-Proto headers `smartinbox serve` believes. Empty "
            "(default): none, so a client cannot pick its own address, e.g. to dodge the login "
            "throttle. Set it to the proxy's address, e.g. 127.0.0.1 behind a local nginx."
        ),
    )
    max_body_bytes: int = Field(
        64 * 1024,
        ge=1,
        description="Largest accepted message body in bytes (UTF-8); larger bodies get 413.",
    )
    max_email_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1,
        description=(
            "Largest raw e-mail (headers, text and attachments) accepted by the inbound hook "
            "and `smartinbox mail import`; larger mails get 413 or are skipped with the reason."
        ),
    )
    max_attachment_bytes: int = Field(
        5 * 1024 * 1024,
        ge=0,
        description=(
            "Largest e-mail attachment stored; a larger file is listed (name, type, size) but "
            "its content is not kept."
        ),
    )
    sqlite_write_requests: int = Field(
        4,
        ge=1,
        le=40,
        description=(
            "On SQLite, write requests (POST, PUT, PATCH, DELETE) one web process runs at once; "
            "the others wait their turn without holding a thread or a connection."
        ),
    )
    sqlite_write_wait_s: float = Field(
        30.0,
        gt=0,
        description=(
            "On SQLite, seconds a write request may wait for its turn before it is answered "
            "503 with Retry-After."
        ),
    )
    max_request_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="Largest accepted HTTP request body in bytes; larger requests get 413.",
    )
    received_at_earliest: datetime = Field(
        datetime(1990, 1, 1, tzinfo=UTC),
        description=(
            "Earliest accepted received_at of a message (API, batch and import); older times "
            "are refused with a 422 naming the field, and the dashboards' roll-ups skip them."
        ),
    )
    received_at_max_future_s: int = Field(
        86400,
        ge=0,
        le=366 * 86400,
        description=(
            "Seconds a message's received_at may lie in the future (clock skew between "
            "systems); later times are refused with a 422 naming the field."
        ),
    )
    max_batch: int = Field(
        1000, ge=1, le=10000, description="Most messages accepted by one batch ingest request."
    )
    auto_snooze_threshold: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="Suggestions whose confidence is below this are auto-snoozed for review.",
    )
    conversation_window_hours: float = Field(
        168.0,
        ge=0.0,
        le=24 * 365,
        description=(
            "A message without a conversation_key joins the conversation of the same customer "
            "with the same subject (Re:/Fwd:/AW:... removed) whose last message is at most this "
            "many hours older; 0 starts a new conversation for every such message."
        ),
    )
    priority_urgent_at: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="Triage urgency from which a conversation's priority is 'urgent'.",
    )
    priority_high_at: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Triage urgency from which a conversation's priority is 'high'.",
    )
    sla_first_response_urgent_min: int = Field(
        60,
        ge=1,
        le=525600,
        description="Minutes to the first reply of a conversation of priority 'urgent' (the "
        "clock starts at its first message).",
    )
    sla_first_response_high_min: int = Field(
        240,
        ge=1,
        le=525600,
        description="Minutes to the first reply of a conversation of priority 'high' (the "
        "clock starts at its first message).",
    )
    sla_first_response_normal_min: int = Field(
        480,
        ge=1,
        le=525600,
        description="Minutes to the first reply of a conversation of priority 'normal' (the "
        "clock starts at its first message).",
    )
    sla_first_response_low_min: int = Field(
        1440,
        ge=1,
        le=525600,
        description="Minutes to the first reply of a conversation of priority 'low' (the "
        "clock starts at its first message).",
    )
    sla_resolution_urgent_min: int = Field(
        480,
        ge=1,
        le=525600,
        description="Minutes to solving a conversation of priority 'urgent' (the clock starts at "
        "its first message, or at the message that reopened it).",
    )
    sla_resolution_high_min: int = Field(
        1440,
        ge=1,
        le=525600,
        description="Minutes to solving a conversation of priority 'high' (the clock starts at "
        "its first message, or at the message that reopened it).",
    )
    sla_resolution_normal_min: int = Field(
        2880,
        ge=1,
        le=525600,
        description="Minutes to solving a conversation of priority 'normal' (the clock starts at "
        "its first message, or at the message that reopened it).",
    )
    sla_resolution_low_min: int = Field(
        5760,
        ge=1,
        le=525600,
        description="Minutes to solving a conversation of priority 'low' (the clock starts at "
        "its first message, or at the message that reopened it).",
    )
    sla_warning_minutes: int = Field(
        60,
        ge=0,
        le=10080,
        description="A conversation whose SLA is due within this many minutes is flagged as "
        "about to breach.",
    )
    ai_provider: Literal["local", "openai"] = Field(
        "local",
        description="Assistant engine: 'local' (offline models) or 'openai' (any compatible API).",
    )
    models_dir: Path | None = Field(
        None, description="Folder of the trained local models. Defaults to <data_dir>/models."
    )
    openai_base_url: str | None = Field(
        None,
        description=(
            "Base URL of the OpenAI-compatible API used when ai_provider is 'openai' (OpenAI, "
            "Azure's /openai/v1/, vLLM, Ollama, llama.cpp server). Empty: OpenAI's own API."
        ),
    )
    openai_api_key: SecretStr | None = Field(
        None,
        description=(
            "API key of that endpoint (falls back to the OPENAI_API_KEY variable; self-hosted "
            "servers accept any value). Never logged or shown."
        ),
    )
    openai_chat_model: str = Field(
        "gpt-4o-mini", description="Chat model that triages, writes replies, explains and judges."
    )
    openai_timeout_s: float = Field(
        30.0, gt=0, description="Seconds one request to the endpoint may take before it is retried."
    )
    openai_max_retries: int = Field(
        3,
        ge=0,
        le=10,
        description=(
            "Retries of a request that timed out, was refused or got 429/5xx, with exponential "
            "backoff (0.5 s, 1 s, 2 s, ... or the server's Retry-After)."
        ),
    )
    openai_concurrency: int = Field(
        4, ge=1, le=256, description="Most requests in flight to the endpoint from one process."
    )
    openai_redact_pii: bool = Field(
        True,
        description=(
            "Replace e-mail addresses, phone numbers and card numbers with [email], [phone] and "
            "[card] in everything sent to the endpoint."
        ),
    )
    openai_logprob_weight: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description=(
            "Weight of the model's own token probability against the evidence-based acceptance "
            "estimate in a generated reply's confidence (a weighted geometric mean)."
        ),
    )
    train_on_start: bool = Field(
        True,
        description="Train the local models when `serve` or `worker` starts and none are present.",
    )
    default_page_size: int = Field(50, ge=1, le=500, description="Default page size of lists.")
    max_page_size: int = Field(500, ge=1, description="Largest page size a list accepts.")
    log_level: str = Field("INFO", description="Log level (DEBUG, INFO, WARNING, ERROR).")
    log_json: bool = Field(True, description="Write logs as one JSON object per line.")
    team_timezone: str = Field("UTC", description="Team timezone (IANA name) used by dashboards.")
    analytics_escalation_window_h: float = Field(
        48.0,
        gt=0,
        le=24 * 90,
        description=(
            "Hours after an AI-based reply within which a new message from the same customer "
            "counts the answered message as needing escalation (dashboards)."
        ),
    )
    analytics_top_n: int = Field(
        10, ge=1, le=100, description="Rows in the dashboards' top lists and tables."
    )
    shutdown_grace_s: float = Field(
        20.0, ge=0, description="Seconds a graceful shutdown waits for running jobs to finish."
    )

    memory_vector_cache: bool = Field(
        True,
        description=(
            "Keep the vector and topic of every reply the reply memory remembers in the "
            "database, so a restart, another worker or a reloaded version reads them back "
            "instead of embedding those messages again."
        ),
    )

    # The learning loop: feedback, training data, exports and retraining.
    feedback_instant_learning: bool = Field(
        True,
        description=(
            "Add each agent-approved or agent-written reply to the live reply memory as soon as it "
            "is captured, so the next similar message can use it before any retraining."
        ),
    )
    training_near_duplicate_ratio: float = Field(
        0.9,
        ge=0.5,
        le=1.0,
        description=(
            "Two completions for the same customer message whose similarity (0-1) reaches this "
            "are merged into one training example with a higher weight."
        ),
    )
    export_redact_pii: bool = Field(
        True,
        description=(
            "Redact e-mail addresses, phone numbers and card numbers in exports and in retraining "
            "datasets that leave the machine (the CLI's --no-redact-pii overrides it per export)."
        ),
    )
    export_dir: Path | None = Field(
        None,
        description="Folder for exports and retraining datasets. Defaults to <data_dir>/exports.",
    )
    finetune_min_examples: int = Field(
        10,
        ge=1,
        description="Fewest examples a fine-tuning JSONL may have (OpenAI requires at least 10).",
    )
    finetune_max_tokens_per_example: int = Field(
        65536,
        ge=256,
        description=(
            "Largest token count of one training example; longer examples are dropped from the "
            "JSONL (the context limit of the model being fine-tuned)."
        ),
    )
    retrain_enabled: bool = Field(
        True, description="Run scheduled retraining. Off: only `smartinbox retrain` retrains."
    )
    retrain_schedule: str = Field(
        "0 3 * * 0",
        description=(
            "When scheduled retraining runs: a cron expression (minute hour day month weekday) "
            "in UTC; the default is weekly, Sunday 03:00."
        ),
    )
    retrain_provider: Literal["local", "openai"] = Field(
        "local",
        description=(
            "What retraining produces: 'local' retrains the offline models and reply memory; "
            "'openai' starts a fine-tuning job on an OpenAI-compatible API."
        ),
    )
    retrain_min_not_useful: int = Field(
        5,
        ge=0,
        description=(
            "A prompt is among the worst-performing when its messages drew more than this many "
            "'not useful' ratings; those prompts (plus answered auto-snoozed messages) form the "
            "retraining dataset."
        ),
    )
    retrain_destination: str = Field(
        "",
        description=(
            "Where retraining datasets are exported: empty for the export folder, a folder path, "
            "s3://bucket/prefix for an S3-compatible bucket, or mailto:address to e-mail them."
        ),
    )
    retrain_min_labelled_rows: int = Field(
        20,
        ge=2,
        description=(
            "Local retraining refits a team head (topic, kind, urgency, sentiment, spam) only "
            "when the database holds at least this many labelled rows for it (imported labels plus agents' corrections); "
            "with fewer the candidate keeps the live head and its data record says why."
        ),
    )
    retrain_max_labelled_rows: int = Field(
        20_000,
        ge=2,
        description=(
            "Most labelled rows local retraining reads per triage head: every agent correction "
            "first, then the newest imported labels. Bounds the time spent embedding them."
        ),
    )
    s3_endpoint_url: str | None = Field(
        None,
        description=(
            "Endpoint of an S3-compatible store (MinIO, Ceph, R2). Empty: AWS S3. Credentials come "
            "from the usual AWS environment variables or files."
        ),
    )
    s3_region: str = Field("us-east-1", description="Region of the S3 bucket.")
    smtp_host: str = Field(
        "localhost", description="SMTP server that sends agent replies and e-mailed exports."
    )
    smtp_port: int = Field(25, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_username: str | None = Field(None, description="SMTP login, if the server needs one.")
    smtp_password: str | None = Field(None, description="SMTP password, if the server needs one.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_from: str = Field(
        "smartinbox@localhost",
        description="Sender address (the support mailbox) of agent replies and e-mailed exports.",
    )
    email_replies: bool = Field(
        True,
        description=(
            "Send agent replies to conversations that came by e-mail to the customer over SMTP "
            "(a job per reply, exactly once, retried on temporary failures)."
        ),
    )
    smtp_timeout_s: float = Field(
        30.0, gt=0, description="Seconds to wait for the SMTP server before a try counts as failed."
    )
    delivery_max_attempts: int = Field(
        6,
        ge=1,
        description=(
            "Tries of one delivery (an e-mail reply or a webhook event); after a temporary "
            "failure on the last one it is failed."
        ),
    )
    delivery_backoff_s: float = Field(
        30.0,
        ge=0,
        description="Wait before the second try of a delivery; doubled after each further failure.",
    )
    smtp_max_attachment_bytes: int = Field(
        20 * 1024 * 1024,
        ge=1024,
        description="Largest dataset sent as an e-mail attachment; larger ones fail with a clear error.",
    )
    finetune_base_url: str | None = Field(
        None,
        description=(
            "Base URL of the OpenAI-compatible API used for fine-tuning. Empty: OpenAI's own API."
        ),
    )
    finetune_api_key: str | None = Field(
        None, description="API key for fine-tuning (falls back to the OPENAI_API_KEY variable)."
    )
    finetune_base_model: str = Field(
        "gpt-4o-mini-2024-07-18", description="Model that fine-tuning jobs start from."
    )
    finetune_poll_interval_s: float = Field(
        30.0, gt=0, description="Seconds between status checks of a running fine-tuning job."
    )
    finetune_timeout_s: int = Field(
        6 * 3600,
        ge=1,
        description=(
            "Seconds a retraining run waits for its fine-tuning job; after that the run ends and "
            "the job stays recorded with its last status."
        ),
    )

    stress_test_since_days: int = Field(
        30,
        ge=1,
        description="Default window of a stress test: interactions rated 'no' this many days back.",
    )
    stress_test_limit: int = Field(
        1000,
        ge=1,
        description="Most interactions one stress test replays unless --limit says otherwise.",
    )
    stress_test_workers: int = Field(
        2,
        ge=1,
        le=32,
        description="Threads that each replay a chunk of a stress test (both replies and the judge).",
    )
    stress_test_chunk: int = Field(
        50,
        ge=1,
        description="Interactions a stress test writes per transaction (its resume granularity).",
    )
    stress_test_tie_margin: float = Field(
        0.02,
        ge=0,
        description="Judge-score difference under which a stress-test row counts as a tie.",
    )
    gate_min_margin: float = Field(
        0.02,
        description="Promotion gate: the candidate's mean judge score must beat live by at least this much.",
    )
    gate_topic_tolerance: float = Field(
        0.05,
        ge=0,
        description="Promotion gate: largest drop in a topic's mean judge score that is allowed.",
    )
    gate_min_topic_rows: int = Field(
        3,
        ge=1,
        description="Promotion gate: topics with fewer stress-test rows are not judged on their own.",
    )
    gate_max_drift: float = Field(
        0.2,
        ge=0,
        description=(
            "Promotion gate and failure harness: largest allowed drift (total variation distance of topic "
            "and kind, or shift of mean confidence) between candidate and live."
        ),
    )
    gate_on_retrain: bool = Field(
        True, description="Run the promotion gate automatically after each local retraining run."
    )
    allowed_reply_domains: str = Field(
        "",
        description=(
            "Reply memory: comma-separated domains (subdomains included) that links and e-mail "
            "addresses in a remembered reply may point to; a reply with any other link or "
            "address is held for an admin's review and never suggested. Empty: every link or "
            "address is held."
        ),
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres(cls, value: str) -> str:
        # Plain postgresql:// would pick psycopg2, which we do not ship; psycopg 3 is the driver.
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    def sla_first_response_minutes(self, priority: str) -> int:
        """The first-response target of a priority, in minutes."""
        return int(getattr(self, f"sla_first_response_{priority}_min"))

    def sla_resolution_minutes(self, priority: str) -> int:
        """The resolution target of a priority, in minutes."""
        return int(getattr(self, f"sla_resolution_{priority}_min"))

    def display_value(self, name: str) -> object:
        """A setting's value as it may be shown or logged: secrets hidden, URL passwords masked."""
        value = getattr(self, name)
        if any(word in name for word in ("secret", "key", "password")):
            return "***" if value else None
        if isinstance(value, str) and "://" in value:
            return _mask_url_password(value)
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        raw = self.database_url.split(":///", 1)[-1]
        if raw in ("", ":memory:"):
            return None
        return Path(raw)

    def resolved_data_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        db_file = self.sqlite_path()
        if db_file is not None:
            return db_file.parent / "data"
        return Path("var") / "data"

    def resolved_model_threads(self) -> int:
        if self.model_threads:
            return self.model_threads
        # Each worker thread runs its own inference; more threads than cores in total only
        # makes them wait for each other.
        return max(1, min(4, (os.cpu_count() or 1) // self.worker_threads))

    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.resolved_data_dir() / "models"

    def resolved_export_dir(self) -> Path:
        return self.export_dir or self.resolved_data_dir() / "exports"

    def resolved_cookie_secure(self) -> bool:
        if self.cookie_secure is None:
            return self.environment == "production"
        return self.cookie_secure

    def resolved_secret_key(self) -> str:
        placeholders = {"", "changeme", "change-me", "secret", "dev"}
        too_short = len((self.secret_key or "").encode("utf-8")) < MIN_SECRET_BYTES
        if self.secret_key and self.environment == "production" and too_short:
            raise ValueError(
                f"SMARTINBOX_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes in "
                "production (for example: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )
        if self.secret_key and self.secret_key.lower() not in placeholders:
            return self.secret_key
        if self.environment == "production":
            raise ValueError(
                "SMARTINBOX_SECRET_KEY must be set to a random value in production "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        key_file = self.resolved_data_dir() / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


def _mask_url_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
