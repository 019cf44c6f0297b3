"""People who work in Tiski: agents, light agents and admins, and their teams."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    # A manager works tickets like an agent and also sees the whole team's
    # reports; agents see only their own figures.
    MANAGER = "manager", _("Manager")
    AGENT = "agent", _("Agent")
    LIGHT_AGENT = "light_agent", _("Light agent")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("A user needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("role", Role.ADMIN)
        fields["is_superuser"] = True
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        # Logins are case-insensitive: people type their address as they like.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    language = models.CharField(
        _("language"), max_length=8, choices=[("fi", "Suomi"), ("en", "English")], default="fi"
    )
    # The zone this person reads times in; empty: the desk's (Settings → General).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    out_of_office_from = models.DateTimeField(_("out of office from"), null=True, blank=True)
    out_of_office_until = models.DateTimeField(_("out of office until"), null=True, blank=True)
    signature = models.TextField(_("signature"), blank=True)
    # Routing: what this agent is good at (languages "fi"/"en", products as
    # tags); tickets needing a skill go to an agent who has it when one is free.
    skills = models.JSONField(_("skills"), default=list, blank=True)
    absence_delegate = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("during absence, tickets go to"),
        help_text=_("Empty: back to the team queue."),
    )
    # Web chat: an agent takes new chats only while they say so (the toggle
    # in the account menu), and at most this many at a time.
    chat_available = models.BooleanField(_("available for chat"), default=False)
    chat_limit = models.PositiveSmallIntegerField(
        _("most chats at a time"), default=3, help_text=_("0: takes no chats.")
    )
    # The absence whose tickets were already handed over, so it happens once.
    absence_handled_from = models.DateTimeField(null=True, blank=True, editable=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def is_staff(self) -> bool:
        """Only admins reach the Django admin."""
        return self.is_active and (self.role == Role.ADMIN or self.is_superuser)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    def has_perm(self, perm: str, obj=None) -> bool:
        # The admin role is the permission model: admins may do everything,
        # agents work in the desk and have no Django admin rights.
        if self.is_active and self.is_admin:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.is_admin:
            return True
        return super().has_module_perms(app_label)

    @property
    def can_see_team_reports(self) -> bool:
        """Managers and admins see every team's figures; agents only their own."""
        return self.is_active and (self.role in (Role.ADMIN, Role.MANAGER) or self.is_superuser)

    @property
    def can_reply_publicly(self) -> bool:
        """Light agents may write internal notes but never talk to customers."""
        return self.role != Role.LIGHT_AGENT

    def is_out_of_office(self, at=None) -> bool:
        at = at or timezone.now()
        if self.out_of_office_from is None:
            return False
        if at < self.out_of_office_from:
            return False
        return self.out_of_office_until is None or at < self.out_of_office_until

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email

    def get_full_name(self) -> str:
        return self.name


class Routing(models.TextChoices):
    MANUAL = "manual", _("Manual: agents take tickets")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_("Only members of a restricted team ever see its tickets."),
    )
    members = models.ManyToManyField(User, related_name="teams", blank=True)
    # Members who lead the team: tickets are escalated to them.
    leads = models.ManyToManyField(
        User, related_name="led_teams", blank=True, verbose_name=_("team leads")
    )
    routing = models.CharField(
        _("routing"), max_length=20, choices=Routing.choices, default=Routing.MANUAL
    )
    max_open_per_agent = models.PositiveIntegerField(
        _("most open tickets per agent"), default=0, help_text=_("0: no limit.")
    )
    # Round robin remembers whose turn was last.
    last_routed_to = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name
