"""``qoldau demo``: migrate, load realistic demo data, then serve the site with a worker."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.demo_users import load_demo_accounts
from qoldau.appeals.demo import appeals_load_demo
from qoldau.core import clock
from qoldau.knowledge.demo import load_demo_knowledge
from qoldau.mail.demo import load_demo_mailbox
from qoldau.recordings.demo import recordings_load_demo
from qoldau.registry.demo import load_demo_registry
from qoldau.routing.demo import load_demo_routing
from qoldau.telephony.demo import load_demo_call_history
from qoldau.workdays.services import workdays_ensure_loaded


class Command(BaseCommand):
    help = "Set up the demo (SQLite by default) and serve it at http://127.0.0.1:8000"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="load the data and stop")
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address:port to serve on")
        parser.add_argument("--no-worker", action="store_true", help="do not start the worker")
        parser.add_argument(
            "--no-calls", action="store_true", help="do not simulate calls to the hotline"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("the demo loads known passwords; it never runs in production")
        self.stdout.write("Migrating the database …")
        call_command("migrate", interactive=False, verbosity=0)
        workdays_ensure_loaded(through_year=clock.today().year + 1)
        self.stdout.write("Loading the demo registry …")
        organisations = load_demo_registry()
        self.stdout.write("Loading the demo knowledge base …")
        articles = load_demo_knowledge()
        accounts = load_demo_accounts()
        mailbox = load_demo_mailbox()
        appeals_load_demo()
        operators = load_demo_routing()
        if not options["no_calls"]:
            self.stdout.write("Simulating the last three hours of calls for the figures …")
            made = load_demo_call_history(hours=3)
            if made:
                self.stdout.write(f"  {made} finished calls.")
        recorded = recordings_load_demo()
        self.stdout.write(
            f"Demo data: {sum(len(v) for v in organisations.values())} organisations "
            f"of {len(organisations)} kinds; {articles} knowledge-base changes."
        )
        address = options["addr"]
        self.stdout.write(f"\nSign in at http://{address}/ with any of these accounts:\n")
        width = max(len(a.username) for a in accounts)
        for account in accounts:
            roles = ", ".join(str(r) for r in account.roles)
            self.stdout.write(f"  {account.username:<{width}}  {account.password:<26}  {roles}")
        self.stdout.write(
            f"\nDemo mailbox: drop .eml files into {mailbox.maildir_path}/new; the worker "
            f"registers them within a minute. Replies go to {settings.QOLDAU_MAIL_SENT_MAILDIR}."
        )
        if not options["no_calls"]:
            self.stdout.write(
                f"Simulated calls: {operators} operators with a routing profile, of them the "
                "simulated ones answer by themselves; sign in as 'operator', open the desk and "
                "choose “Available” to take calls too."
            )
        self.stdout.write(
            f"Demo recordings: {recorded} new recorded calls and a recording request of the "
            "quality body; fulfil it as supervisor, download it as quality."
        )
        if options["no_serve"]:
            return
        children: list[subprocess.Popen[bytes]] = []
        if not options["no_worker"]:
            children.append(subprocess.Popen([sys.executable, "manage.py", "worker"]))
        if not options["no_calls"]:
            # The router's clock and the simulated PBX, which obeys the router's commands.
            settings.TELEPHONY_CONTROL = "simulator"
            env = {**os.environ, "TELEPHONY_CONTROL": "simulator"}
            children.append(subprocess.Popen([sys.executable, "manage.py", "router"], env=env))
            # Busy at any hour, so whoever starts the demo sees the wallboard move.
            simulate = [sys.executable, "manage.py", "simulate", "--day-floor", "0.85"]
            children.append(subprocess.Popen(simulate, env=env))  # noqa: S603 (our own argv)
        try:
            call_command("runserver", options["addr"], use_reloader=False)
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(timeout=10)
