"""The one place CLI commands are registered: each package's ``cli.COMMANDS``.

    flask create-admin EMAIL [--role R] | flask users set-role/disable/enable EMAIL  (app/accounts/cli.py)
    flask render AUDIO -o OUT.mp4                                  (app/renders/cli.py)
    flask payments refund JOB_ID                                   (app/payments/cli.py)
    flask storage usage [PREFIX]                                   (app/delivery/cli.py)
    flask worker-health | flask run-worker                         (app/tasks/cli.py)

(``flask db ...`` comes from Flask-Migrate.)
"""

from __future__ import annotations

from flask import Flask

from app.accounts import cli as accounts_cli
from app.delivery import cli as delivery_cli
from app.payments import cli as payments_cli
from app.renders import cli as renders_cli
from app.tasks import cli as tasks_cli

CLI_MODULES = (accounts_cli, renders_cli, payments_cli, delivery_cli, tasks_cli)


def register_cli(app: Flask) -> None:
    for module in CLI_MODULES:
        for command in module.COMMANDS:
            app.cli.add_command(command)
