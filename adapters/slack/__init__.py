"""Slack: Candor as a Bolt (``AsyncApp``) app. Translates between Slack and the engine, nothing more."""
