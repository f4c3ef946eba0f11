"""Entry point of the ``bilan`` command."""

from __future__ import annotations


def main() -> None:
    """Run the command line (the typer app lives in :mod:`bilan.cli`)."""
    from bilan.cli import app
    from bilan.workers import freeze_after_loading

    freeze_after_loading()
    app(prog_name="bilan")


if __name__ == "__main__":
    main()
