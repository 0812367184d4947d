"""`autosales token create USERNAME [--name N]`, `autosales token list USERNAME`, `autosales token revoke PREFIX`."""

from django.core.management.base import BaseCommand, CommandError

from autosales.core.errors import DomainError
from autosales.customers.models import User
from autosales.customers.tokens import token_by_prefix, token_create, token_revoke, tokens_for_user


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user named {username!r}.", returncode=2)
    return user


class Command(BaseCommand):
    help = "Create, list and revoke API tokens (sent as 'Authorization: Bearer <token>')."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser("create", help="Create a token and print it (it is shown only once).")
        create.add_argument("username")
        create.add_argument("--name", default="api", help="What the token is for, e.g. 'ERP sync' (default: api).")
        listing = actions.add_parser("list", help="List a user's tokens (prefix, name, created, last used, state).")
        listing.add_argument("username")
        revoke = actions.add_parser("revoke", help="Revoke the token with this prefix (as_xxxxxxxx).")
        revoke.add_argument("prefix")

    def handle(self, *args, action: str, **options):
        try:
            if action == "create":
                self.stdout.write(token_create(user=_user(options["username"]), name=options["name"]))
            elif action == "list":
                self._list(_user(options["username"]))
            else:
                token = token_by_prefix(prefix=options["prefix"])
                token_revoke(token_id=token.id)
                self.stdout.write(f"Revoked {token.prefix} ({token.name}) of {token.user.username}.")
        except DomainError as exc:
            field = f"{exc.field}: " if exc.field else ""
            raise CommandError(f"{field}{exc.message}", returncode=2) from exc

    def _list(self, user: User) -> None:
        tokens = list(tokens_for_user(user=user))
        if not tokens:
            self.stdout.write(f"{user.username} has no API tokens.")
            return
        for token in tokens:
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            used = f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
            self.stdout.write(
                f"{token.prefix}  {token.name}  created {token.created_at:%Y-%m-%d %H:%M}  {used}  {state}"
            )
