"""What Runway and PixVerse share: an email-and-password form with a required max jobs, an
account whose session is a `jwt` object, and a live "features" route that reports an
account's plan and credits.

The form's checks are `bot.logins`' and `bot.cookies.read_max_jobs`' (the same as Kling's);
the password is the submission's secret. The features routes (GET `/v1/runwayml/features` and
`/v2/pixverse/features`, `?email=` "required when several accounts are configured") ask the
service itself, live, so they can also say what the stored account list can't: that the
service now refuses the account (see `fetch_features`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from bot.cookies import read_max_jobs
from bot.logins import MAX_EMAIL_LENGTH, login_fields, parse_email, parse_password
from bot.services._lenient import Lenient
from bot.services._refusals import is_about_the_account, reword
from bot.useapi.base import AccountInfo, Credit, Transport, UseapiService
from bot.useapi.errors import Failure, UseapiError
from bot.useapi.forms import FormField, Submission

# What `health` says after the service answered its features route for the account.
HEALTHY = "OK"

CreditReader = Callable[[dict[str, Any], Lenient], tuple[Credit, ...]]


def email_login_fields(
    service: str,
    email_says: str,
    secret_says: str,
    /,
    *,
    jobs: tuple[int, int],
    jobs_says: str,
    suggested: int,
) -> tuple[FormField, ...]:
    """The email, password and (required) max-jobs inputs (`*_says`: where each value comes from)."""
    low, high = jobs
    return (
        *login_fields(service, email_says, secret_says),
        FormField(
            id="max_jobs",
            label=f"Max concurrent jobs ({low}-{high})",
            description=jobs_says,
            placeholder=str(suggested),
            min_length=1,
            max_length=len(str(high)),
        ),
    )


def parse_email_login(values: Mapping[str, str], *, site: str, jobs: tuple[int, int]) -> Submission:
    """The documented body `{email, password, maxJobs}`; the password is the secret."""
    email = parse_email(values.get("email"), site=site)
    password = parse_password(values.get("password"), site=site)
    max_jobs = read_max_jobs(values.get("max_jobs"), low=jobs[0], high=jobs[1], when_blank=None)
    return Submission(body={"email": email, "password": password, "maxJobs": max_jobs}, secrets=(password,))


def email_register_path(service: UseapiService, submission: Submission) -> str:
    """`{accounts_path}/{email}`: the route carries the body's email (they must match)."""
    return service.account_path(str(submission.body["email"]))


async def fetch_features(transport: Transport, path: str, *, label: str) -> dict[str, Any] | str:
    """GET a features route (its `?email=` already in `path`): the answer's object, or, when
    useapi.net answers 401 with a text about the account ("This account has been suspended.",
    a refused password), that text: the service refuses the account, and a person must act.

    Any other failure raises UseapiError, so nothing is recorded from it: a 401 "Unauthorized"
    is the bot's token (the list's own sync reports that), a 400 or 404 says nothing about the
    account's health. A 2xx that is not an object is BAD_RESPONSE."""
    try:
        body = await transport.request("GET", path, label=label)
    except UseapiError as exc:
        if exc.failure is Failure.UNAUTHORIZED and is_about_the_account(exc.detail):
            return str(exc.detail)
        raise
    if not isinstance(body, dict):
        raise UseapiError(Failure.BAD_RESPONSE, service_label=label, status=200)
    return body


async def features_details(
    service: UseapiService, transport: Transport, account: str, credits: CreditReader
) -> AccountInfo:
    """`account_details` of a service whose details are its features route (`details_path`):
    the credits and health "OK", or health = the service's refusal of the account (kept by the
    list's syncs until a later read says otherwise). UseapiError on any other failure."""
    path = service.account_route(str(service.details_path), account)
    found = await fetch_features(transport, path, label=service.label)
    if isinstance(found, str):
        return AccountInfo(service=service.key, account=account, health=found)
    figures = credits(found, Lenient(service.key, account))
    return AccountInfo(service=service.key, account=account, health=HEALTHY, credits=figures)


def jwt_account(
    service: UseapiService, obj: dict[str, Any], key: str | None, *, iso_names: Iterable[str], number: str
) -> AccountInfo:
    """An account of the list (or a registration's answer): keyed by its `email` (else the
    list's key), its deadline the first readable ISO companion among `iso_names` in `jwt`, else
    the bare `number` there (`Lenient.deadline`), its `maxJobs` and `error` read leniently."""
    first = Lenient(service.key, key or "?")
    account = (first.text(obj, "email", limit=MAX_EMAIL_LENGTH) or key or "")[:MAX_EMAIL_LENGTH]
    read = Lenient(service.key, account or "?")
    jwt = read.object(obj, "jwt")
    return AccountInfo(
        service=service.key,
        account=account,
        expires_at=read.deadline(jwt, iso_names, number, prefix="jwt") if jwt else None,
        max_jobs=read.whole(obj, "maxJobs"),
        error=read.error(obj),
    )


async def reworded(registering: Awaitable[AccountInfo], *, site: str, hint: str) -> AccountInfo:
    """A registration whose refusal names the login (email and password), not a cookie, and
    says what the site's sign-in takes (`hint`)."""
    try:
        return await registering
    except UseapiError as exc:
        raise reword(
            exc, what="email and password", check="email, password and max jobs", site=site, hint=hint
        ) from None
