"""Notifications, followers and mentions: who in the team hears about a ticket."""
