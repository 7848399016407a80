"""`manage.py ensureadmin`: create the first user from the environment, without prompting.

`make run` calls it: with RACK_PLANNER_ADMIN_USER and RACK_PLANNER_ADMIN_PASSWORD set (and
optionally RACK_PLANNER_ADMIN_EMAIL), that user exists afterwards as a superuser (admin pages,
catalog editing). An existing user is left as it is; without the variables nothing happens.
"""
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

USER_VAR = "RACK_PLANNER_ADMIN_USER"
PASSWORD_VAR = "RACK_PLANNER_ADMIN_PASSWORD"
EMAIL_VAR = "RACK_PLANNER_ADMIN_EMAIL"


class Command(BaseCommand):
    help = f"Create a superuser from {USER_VAR} / {PASSWORD_VAR} ({EMAIL_VAR}) if set and absent."

    def handle(self, *args, **options) -> None:
        username = os.environ.get(USER_VAR, "").strip()
        password = os.environ.get(PASSWORD_VAR, "")
        if not username:
            self.stdout.write(f"{USER_VAR} not set: no user created (sign up at /accounts/signup/)")
            return
        users = get_user_model().objects
        if users.filter(username=username).exists():
            self.stdout.write(f"user {username!r} exists; left as it is")
            return
        if not password:
            raise CommandError(f"{USER_VAR} is set but {PASSWORD_VAR} is empty")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(f"{PASSWORD_VAR}: {' '.join(exc.messages)}") from exc
        users.create_superuser(username, os.environ.get(EMAIL_VAR, ""), password)
        self.stdout.write(f"created superuser {username!r}; log in at /accounts/login/")
