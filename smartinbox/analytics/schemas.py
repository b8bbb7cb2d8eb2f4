"""Pydantic input and output of the dashboards.

Output field names are camelCase, as the seed's `/api/feedback/analytics` defines them; its five
fields keep exactly their seed names and types, everything else has names of its own.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from smartinbox.kit.ids import MAX_ROW_ID


class Filters(BaseModel):
    """Narrow a dashboard to one channel, topic, assistant version or agent (the assignee)."""

    model_config = ConfigDict(extra="forbid")

    channel: str | None = Field(None, max_length=32)
    topic: str | None = Field(None, max_length=64)
    version_id: int | None = Field(
        None, ge=1, le=MAX_ROW_ID, description="Assistant version of the suggestion."
    )
    agent_id: int | None = Field(
        None, ge=1, le=MAX_ROW_ID, description="The agent the message is assigned to."
    )

    def query(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.model_dump().items() if v is not None}


class Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class PeriodOut(Out):
    name: str
    start: date
    end: date
    label: str
    timezone: str


class ComplaintTopic(Out):
    topic: str
    count: int
    previous: int
    change: int
    change_pct: float | None = Field(description="Change versus the previous period, in %.")
    link: str
    previous_link: str


class UrgencyBucket(Out):
    key: int = Field(description="Hour of day 0-23, or weekday 0 (Monday) - 6 (Sunday).")
    label: str
    avg_urgency: float | None = Field(description="Mean urgency score 0-1; null: no messages.")
    messages: int
    link: str


class UsagePoint(Out):
    start: date
    unchanged: int
    edited: int
    replaced: int
    none: int


class UsageTotals(Out):
    unchanged: int
    edited: int
    replaced: int
    none: int
    total: int
    ai_usage_rate: float | None = Field(description="(unchanged + edited) / all replies.")
    override_rate: float | None = Field(
        description="replaced / replies that had a suggestion (unchanged + edited + replaced)."
    )


class ReplyUsage(Out):
    bucket: str = Field(description="'day' or 'week' (weeks start on Monday).")
    totals: UsageTotals
    series: list[UsagePoint]
    links: dict[str, str]


class EscalatedMessage(Out):
    message_id: int
    subject: str
    received_at: datetime
    reason: str
    link: str


class EscalationPoint(Out):
    start: date
    escalated: int
    ai_based: int


class Escalations(Out):
    count: int
    ai_based: int = Field(description="Messages answered with an AI-based reply.")
    rate: float | None
    window_hours: float
    link: str
    series: list[EscalationPoint]
    items: list[EscalatedMessage]


class InsightsOut(Out):
    period: PeriodOut
    previous_period: PeriodOut
    filters: dict[str, str]
    source: str = Field(description="'rollup', or 'scan' while roll-ups are being rebuilt.")
    messages: int
    messages_link: str
    complaints: int
    top_complaints: list[ComplaintTopic]
    urgency_by_hour: list[UrgencyBucket]
    urgency_by_weekday: list[UrgencyBucket]
    reply_usage: ReplyUsage
    escalations: Escalations


class DailyUsefulness(BaseModel):
    date: str
    useful: int
    total: int


class NegativeMessage(BaseModel):
    """The seed's three fields, then ours."""

    message: str
    aiReply: str
    agentReply: str
    messageId: int
    subject: str
    topic: str | None
    rejections: int
    lowestScore: int | None
    agentUsage: str | None
    link: str


class TopicFailure(Out):
    topic: str
    not_useful: int
    total: int
    not_useful_rate: float | None
    link: str


class OverrideCase(Out):
    kind: str | None
    topic: str | None
    replaced: int
    edited: int
    link: str


class FeedbackAnalyticsOut(BaseModel):
    total: int
    usefulCount: int
    notUsefulCount: int
    dailyBreakdown: list[DailyUsefulness]
    topNegativeMessages: list[NegativeMessage]
    usefulRate: float | None = Field(description="usefulCount / total; null without ratings.")
    period: PeriodOut
    filters: dict[str, str]
    source: str
    links: dict[str, str]
    failedTopics: list[TopicFailure]
    overrideCases: list[OverrideCase]
    rejectedTotal: int
