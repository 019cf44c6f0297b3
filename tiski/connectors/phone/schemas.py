"""The call-event webhook's payload, validated before anything is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .state import Cause, EventType


class AgentRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: str = ""
    extension: str = ""


class CallEventIn(BaseModel):
    """One event of one call. Unknown fields are ignored, so providers may send more."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    call_id: str = Field(min_length=1, max_length=200)
    event: str
    event_id: str = Field(default="", max_length=36)
    timestamp: datetime | None = None
    direction: Literal["inbound", "outbound", ""] = ""
    from_: str = Field(default="", alias="from", max_length=100)
    to: str = Field(default="", max_length=100)
    agent: AgentRef | None = None
    cause: Literal["answered", "abandoned", "no_answer", "busy", "voicemail", ""] = ""
    duration: int | None = Field(default=None, ge=0, le=7 * 24 * 3600)
    recording_url: str = Field(default="", max_length=1000)

    @field_validator("event")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamp needs a time zone, e.g. 2026-11-24T08:15:00Z")
        return value

    @field_validator("recording_url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        # The link is shown to agents: only web links, never javascript: and the like.
        if value and not value.lower().startswith(("https://", "http://")):
            raise ValueError("recording_url must be an http(s) URL")
        return value

    @property
    def known(self) -> bool:
        return self.event in EventType.ALL

    @property
    def key(self) -> str:
        return f"{self.event}:{self.event_id}" if self.event_id else self.event


CAUSES = Cause.ALL
