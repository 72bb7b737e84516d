"""What every ``recipevault`` command shares: the failure an operator can fix, and the
settings read as a command reads them. The commands themselves live in ``cli`` and in the
features' own ``cli`` modules (``backup.cli``), which ``cli`` mounts."""

from __future__ import annotations

from recipevault.config import ConfigError, Settings, get_settings


class CommandError(Exception):
    """A failure the operator can fix; printed as one line."""


def command_settings() -> Settings:
    """The settings, or a ``CommandError`` naming the one that cannot be read."""
    try:
        return get_settings()
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
