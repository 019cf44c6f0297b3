"""A call's state, derived from all of its events so far. Pure: no database.

Telephony systems deliver webhooks at least once and not always in order:
"ended" may come before "answered", and anything may come twice. Instead of
moving a stored state step by step (where the order of arrival would
matter), every event is kept and the state is recomputed from the whole
set. The same set of events, in any arrival order, gives the same state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


class EventType:
    RINGING = "ringing"
    ANSWERED = "answered"
    TRANSFERRED = "transferred"
    ENDED = "ended"
    OUTBOUND = "outbound"

    ALL = (RINGING, ANSWERED, TRANSFERRED, ENDED, OUTBOUND)


class Cause:
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"

    ALL = (ANSWERED, ABANDONED, NO_ANSWER, BUSY, VOICEMAIL)
    MISSED = (ABANDONED, NO_ANSWER, BUSY, VOICEMAIL)


class Phase:
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


class Direction:
    INBOUND = "inbound"
    OUTBOUND = "outbound"


# Where each event type sits in a call's life: ties in time are broken by it,
# so an "answered" and an "ended" stamped in the same second still sort right.
_RANK = {
    EventType.OUTBOUND: 0,
    EventType.RINGING: 0,
    EventType.ANSWERED: 1,
    EventType.TRANSFERRED: 2,
    EventType.ENDED: 3,
}


@dataclass(frozen=True)
class CallEventFact:
    """One stored event, reduced to what the state depends on."""

    type: str
    at: datetime
    key: str = ""  # the idempotency key: a last, stable tie-breaker
    direction: str = ""
    agent_id: int | None = None
    cause: str = ""
    duration: int | None = None
    recording_url: str = ""


@dataclass(frozen=True)
class CallState:
    direction: str
    phase: str
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    cause: str = ""
    agent_id: int | None = None  # who has (or last had) the caller
    ringing_agent_id: int | None = None
    agents: tuple[int, ...] = field(default_factory=tuple)  # everyone who talked, in order
    duration: int | None = None
    recording_url: str = ""

    @property
    def answered(self) -> bool:
        return self.answered_at is not None or self.cause == Cause.ANSWERED

    @property
    def ended(self) -> bool:
        return self.phase == Phase.ENDED

    @property
    def missed(self) -> bool:
        """An inbound call that ended without anyone talking to the caller."""
        return self.ended and self.direction == Direction.INBOUND and not self.answered


def order(events: Iterable[CallEventFact]) -> list[CallEventFact]:
    return sorted(events, key=lambda e: (e.at, _RANK.get(e.type, 9), e.type, e.key))


def derive(events: Iterable[CallEventFact]) -> CallState | None:
    """The call's state after ``events``, whatever order they arrived in."""
    ordered = order(events)
    if not ordered:
        return None
    direction = Direction.INBOUND
    if any(e.type == EventType.OUTBOUND or e.direction == Direction.OUTBOUND for e in ordered):
        direction = Direction.OUTBOUND
    phase = Phase.RINGING
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    cause = ""
    agent_id: int | None = None
    ringing_agent_id: int | None = None
    agents: list[int] = []
    duration: int | None = None
    recording_url = ""
    for event in ordered:
        if event.recording_url:
            recording_url = event.recording_url
        if event.type in (EventType.RINGING, EventType.OUTBOUND):
            if event.agent_id is not None:
                ringing_agent_id = event.agent_id
                if direction == Direction.OUTBOUND:
                    # The agent who dials is on the call from the start.
                    agent_id = event.agent_id
        elif event.type in (EventType.ANSWERED, EventType.TRANSFERRED):
            if event.type == EventType.ANSWERED and answered_at is None:
                answered_at = event.at
            if event.agent_id is not None:
                agent_id = event.agent_id
                if event.agent_id not in agents:
                    agents.append(event.agent_id)
            if phase != Phase.ENDED:
                phase = Phase.ANSWERED
        elif event.type == EventType.ENDED:
            phase = Phase.ENDED
            ended_at = event.at if ended_at is None else min(ended_at, event.at)
            cause = event.cause or cause
            if event.duration is not None:
                duration = event.duration
    if phase == Phase.ENDED and not cause:
        # No cause given: infer it the way a person reading the log would.
        if answered_at is not None:
            cause = Cause.ANSWERED
        else:
            cause = Cause.NO_ANSWER if direction == Direction.OUTBOUND else Cause.ABANDONED
    if duration is None and answered_at is not None and ended_at is not None:
        duration = max(0, int((ended_at - answered_at).total_seconds()))
    if agent_id is not None and agent_id not in agents and direction == Direction.OUTBOUND:
        agents.insert(0, agent_id)
    return CallState(
        direction=direction,
        phase=phase,
        started_at=ordered[0].at,
        answered_at=answered_at,
        ended_at=ended_at,
        cause=cause,
        agent_id=agent_id,
        ringing_agent_id=ringing_agent_id,
        agents=tuple(agents),
        duration=duration,
        recording_url=recording_url,
    )


def should_pop(new_event: CallEventFact, state: CallState) -> int | None:
    """The agent whose screen should pop for a newly stored event, if any.

    Only a new ringing/answered/transferred event addressed to an agent pops,
    and only while the call is not over: an "answered" that arrives after
    "ended" (out of order) would pop a call nobody is on any more.
    """
    if state.ended or new_event.agent_id is None:
        return None
    if new_event.type in (EventType.RINGING, EventType.ANSWERED, EventType.TRANSFERRED):
        return new_event.agent_id
    return None
