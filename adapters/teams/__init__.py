"""Microsoft Teams: Candor as a bot on the Microsoft 365 Agents SDK, in personal (1:1) chat."""
