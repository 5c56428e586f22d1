"""Candor's platform-neutral core: the interview engine and everything it leans on.

Nothing under ``bot`` imports a chat platform SDK or anything from ``adapters``.
"""
