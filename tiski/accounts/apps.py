from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tiski.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from tiski.core import config_cache

        from .models import Team, User

        # The desk's pages keep the teams, their leads and the agents' names
        # (core/config_cache.py); logins and routing write other columns.
        config_cache.watch(Team, ignore=("last_routed_to",))
        config_cache.watch(User, fields=("name", "email", "is_active"))
        config_cache.watch_many_to_many(Team.leads.through)
        # Who is in which team decides which tickets a person sees
        # (tickets.models._team_ids). Rows of these relations send no save or
        # delete signals of their own; the admin's membership inline saves the
        # user first, which changes the version in the same transaction.
        config_cache.watch_many_to_many(Team.members.through)
