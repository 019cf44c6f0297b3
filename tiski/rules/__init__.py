"""Rules: triggers that react to ticket changes and time rules that run on a clock.

Conditions and actions are data (a ``type`` plus parameters) checked against
handlers registered in code (`registry`). Evaluation is a pure function of a
`TicketFacts` snapshot; the engine applies actions only through
`tiski.tickets.actions`, with ``via=Via.RULE``.
"""
