"""The team's service figures on the insights dashboard, beside the AI-usage figures: SLA
attainment, median first-response and resolution times, and CSAT, for the chosen period."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from smartinbox.analytics.periods import Period, zone
from smartinbox.config import Settings
from smartinbox.conversations.figures import SlaFigures, sla_figures
from smartinbox.csat import service as csat


class CsatFigures(BaseModel):
    ratings: int = Field(description="Ratings customers gave in the period.")
    csat: float | None = Field(description="Share of ratings of 4 or 5.")
    average: float | None = Field(description="Mean rating, 1-5.")


class WorkflowFiguresOut(BaseModel):
    sla: SlaFigures
    csat: CsatFigures


def workflow_figures(session: Session, settings: Settings, period: Period) -> WorkflowFiguresOut:
    start, end = period.utc_bounds(zone(settings.team_timezone))
    return WorkflowFiguresOut(
        sla=sla_figures(session, start, end),
        csat=CsatFigures.model_validate(csat.summary(session, start, end)),
    )
