"""Every ORM model, imported here so that `Base.metadata` knows all tables."""

from smartinbox.models.analytics import (
    AnalyticsDaily,
    AnalyticsDirty,
    AnalyticsEscalation,
    AnalyticsHourly,
    AnalyticsRejection,
    AnalyticsState,
)
from smartinbox.models.auth import ApiToken, User, UserSession
from smartinbox.models.base import Base
from smartinbox.models.channels import (
    EmailAttachment,
    EmailMessage,
    ReplyDelivery,
    WebhookDelivery,
    WebhookEndpoint,
)
from smartinbox.models.conversations import Conversation, ConversationEvent, ConversationNote
from smartinbox.models.csat import CsatRating
from smartinbox.models.evaluation import HarnessCase, HarnessRun, StressTestLog, StressTestRun
from smartinbox.models.feedback import (
    AIReplyExplanation,
    AIReplyImprovement,
    Feedback,
    FeedbackReplayLog,
    TrainingExample,
    TrainingExampleSource,
    TrainingPrompt,
)
from smartinbox.models.inbox import (
    AgentReply,
    AIReply,
    Analysis,
    Customer,
    LabelCorrection,
    Message,
    MessageEvent,
    ReplyMacro,
)
from smartinbox.models.memory import MemoryReview, MemoryStamp
from smartinbox.models.versions import (
    AssistantVersion,
    FineTuneJob,
    MemoryVector,
    MemoryVectorSet,
)

__all__ = [
    "AIReply",
    "AIReplyExplanation",
    "AIReplyImprovement",
    "AgentReply",
    "Analysis",
    "AnalyticsDaily",
    "AnalyticsDirty",
    "AnalyticsEscalation",
    "AnalyticsHourly",
    "AnalyticsRejection",
    "AnalyticsState",
    "ApiToken",
    "AssistantVersion",
    "Base",
    "Conversation",
    "ConversationEvent",
    "ConversationNote",
    "CsatRating",
    "Customer",
    "EmailAttachment",
    "EmailMessage",
    "Feedback",
    "FeedbackReplayLog",
    "FineTuneJob",
    "HarnessCase",
    "HarnessRun",
    "LabelCorrection",
    "MemoryReview",
    "MemoryStamp",
    "MemoryVector",
    "MemoryVectorSet",
    "Message",
    "MessageEvent",
    "ReplyDelivery",
    "ReplyMacro",
    "StressTestLog",
    "StressTestRun",
    "TrainingExample",
    "TrainingExampleSource",
    "TrainingPrompt",
    "User",
    "UserSession",
    "WebhookDelivery",
    "WebhookEndpoint",
]
