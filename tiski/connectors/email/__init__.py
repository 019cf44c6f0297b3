"""The email channel: parsing, quote folding, threading and intake."""
