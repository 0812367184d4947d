"""The `autosales` command: every Django management command, plus the product's own (demo, serve, ...)."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "demo":
        # The demo runs on plain http on the local machine.
        os.environ.setdefault("DEBUG", "1")
        os.environ.setdefault("HTTPS", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autosales.settings")
    from django.core.management import execute_from_command_line

    argv[0] = "autosales"
    try:
        execute_from_command_line(argv)
    except BrokenPipeError:
        # The reader went away (`autosales simulate ... | head`): stop quietly, as other command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    main()
