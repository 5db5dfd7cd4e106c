#!/usr/bin/env python
"""Django's command-line utility for the GEN portal."""

import os
import sys

# Commands that only compare the models with the migration files: they sign nothing, serve
# nothing and read no production setting, so a bare clone (CI, a pre-commit hook, a reviewer)
# runs them with the development defaults instead of having to invent a SECRET_KEY. An
# explicit DEBUG=0 still demands the full production configuration.
CONFIGURATION_FREE_COMMANDS = {"makemigrations"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gen_portal.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command in CONFIGURATION_FREE_COMMANDS and not os.environ.get("SECRET_KEY"):
        os.environ.setdefault("DEBUG", "1")
    from gen_portal.config import ConfigError

    try:
        from django.conf import settings
        from django.core.management import execute_from_command_line

        # Load the settings here: Django's command runner records a settings error and goes
        # on, and whether it surfaces again depends on which system check happens to read a
        # setting first (checks are kept in a set). A configuration error must always stop
        # the command with its one line.
        settings.INSTALLED_APPS  # noqa: B018
        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        # One line naming the variable, not a traceback: this is an operator's mistake.
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
