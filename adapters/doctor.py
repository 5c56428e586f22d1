"""``candor doctor``: every dependency the configuration names, checked, with the fix for each failure.

It reads the same settings as ``candor serve`` and ``candor worker``, never prints a secret, and
exits 1 when anything failed (warnings alone exit 0), so it fits a deployment pipeline.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.errors import ConfigError
from bot.flows import FlowFileError, FlowRegistry

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""


def _keys(settings: Settings) -> list[Check]:
    from bot.state.crypto import Keyring

    checks = []
    if settings.pseudonym_key is not None:
        checks.append(Check("pseudonym key", OK, "CANDOR_PSEUDONYM_KEY is set"))
    elif settings.development:
        checks.append(Check("pseudonym key", WARN, "generated in the data folder (development mode)"))
    else:
        fix = "set CANDOR_PSEUDONYM_KEY (or CANDOR_PSEUDONYM_KEY_FILE) to a long random secret"
        checks.append(Check("pseudonym key", FAIL, "not set", fix))
    if settings.encryption_keys is None:
        status = WARN if settings.development else FAIL
        fix = "" if settings.development else "set CANDOR_ENCRYPTION_KEYS; `candor keys generate` prints an entry"
        checks.append(Check("encryption keys", status, "not set", fix))
    else:
        try:
            ring = Keyring.parse(settings.encryption_keys.get_secret_value())
            checks.append(Check("encryption keys", OK, f"{len(ring.keys)} key(s), encrypting with {ring.current}"))
        except ConfigError as exc:
            checks.append(Check("encryption keys", FAIL, str(exc), "fix the entry named above"))
    return checks


def _flows(settings: Settings) -> Check:
    from adapters.runtime import flow_dirs

    try:
        registry = FlowRegistry.from_dirs(flow_dirs(settings))
        registry.get(settings.default_flow)
    except FlowFileError as exc:
        return Check("flows", FAIL, str(exc).splitlines()[0], "run candor flows validate on the folder and fix it")
    except Exception as exc:
        return Check("flows", FAIL, str(exc), "set CANDOR_DEFAULT_FLOW to an installed flow (candor flows list)")
    return Check("flows", OK, f"{len(registry)} flow(s); default {settings.default_flow}")


async def _redis(settings: Settings) -> list[Check]:
    from adapters.runtime import printable_url
    from bot.state.connect import redis_client

    if settings.redis_url is None:
        return [Check("redis", WARN, "not set: the embedded Redis (one process, one machine)", "set REDIS_URL")]
    shown = printable_url(settings.redis_url)
    client = redis_client(settings.redis_url, socket_connect_timeout=3, socket_timeout=5)
    try:
        info: dict[str, Any] = await client.info()
    except Exception as exc:
        return [Check("redis", FAIL, f"{shown}: {type(exc).__name__}: {exc}", "check REDIS_URL and the network")]
    checks = [Check("redis", OK, f"{shown}: Redis {info.get('redis_version', '?')}")]
    major = int(str(info.get("redis_version", "0")).split(".")[0] or 0)
    if major < 6:
        checks.append(Check("redis version", FAIL, f"{info.get('redis_version')} is too old", "use Redis 6.2 or newer"))
    if int(info.get("aof_enabled", 0)) != 1:
        fix = "turn on the append-only file (appendonly yes); a restart would lose interviews in progress"
        checks.append(Check("redis persistence", WARN, "no append-only file", fix))
    else:
        checks.append(Check("redis persistence", OK, "append-only file on"))
    try:
        policy = (await client.config_get("maxmemory-policy")).get("maxmemory-policy", "?")
    except Exception:
        policy = None
    if policy is None:
        checks.append(Check("redis eviction", WARN, "CONFIG GET is not allowed here", "make sure it is noeviction"))
    elif policy != "noeviction":
        fix = "set maxmemory-policy noeviction: an evicted key is a lost interview"
        checks.append(Check("redis eviction", WARN, f"maxmemory-policy {policy}", fix))
    else:
        checks.append(Check("redis eviction", OK, "noeviction"))
    await client.aclose()
    return checks


async def _slack() -> list[Check]:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.config import DEFAULT_SCOPES, load_slack_settings

    slack = load_slack_settings()
    if not slack.configured:
        return [Check("slack", OK, "not configured (Teams only, or not used)")]
    if slack.bot_token is None:
        return [Check("slack", OK, "OAuth mode: tokens come from installations")]
    client = AsyncWebClient(token=slack.bot_token.get_secret_value(), base_url=slack.api_base_url, timeout=10)
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error")
        return [Check("slack token", FAIL, f"auth.test: {error}", "set SLACK_BOT_TOKEN to the app's xoxb- token")]
    except Exception as exc:
        return [Check("slack token", FAIL, f"auth.test: {type(exc).__name__}", "check the network to slack.com")]
    checks = [Check("slack token", OK, f"workspace {response.get('team_id')}")]
    granted = {s.strip() for s in str(response.headers.get("x-oauth-scopes", "")).split(",") if s.strip()}
    missing = sorted(set(DEFAULT_SCOPES) - granted) if granted else []
    if not granted:
        checks.append(Check("slack scopes", WARN, "Slack did not report the token's scopes"))
    elif missing:
        fix = "add them in the app's OAuth & Permissions page (or candor slack manifest) and reinstall"
        checks.append(Check("slack scopes", FAIL, f"missing {', '.join(missing)}", fix))
    else:
        checks.append(Check("slack scopes", OK, f"{len(granted)} granted"))
    return checks


async def _teams() -> list[Check]:
    from adapters.teams.config import load_teams_settings

    teams = load_teams_settings()
    if not teams.enabled:
        return [Check("teams", OK, "not configured")]
    from microsoft_agents.authentication.msal import MsalAuth
    from microsoft_agents.hosting.core import AgentAuthConfiguration

    config = AgentAuthConfiguration(
        client_id=teams.app_id,
        tenant_id=teams.tenant_id,
        client_secret=teams.app_password.get_secret_value() if teams.app_password else None,
        authority=teams.authority,
        scopes=teams.scope_list,
    )
    scopes = teams.scope_list or [f"{teams.audience}/.default"]
    try:
        await asyncio.wait_for(MsalAuth(config).get_access_token(teams.audience, scopes), 20)
    except Exception as exc:
        fix = "check TEAMS_APP_ID, TEAMS_APP_PASSWORD (or the certificate) and TEAMS_TENANT_ID in the Azure Bot"
        return [Check("teams credentials", FAIL, f"no token: {type(exc).__name__}", fix)]
    return [Check("teams credentials", OK, "a Bot Framework token was issued")]


async def _anthropic(settings: Settings) -> list[Check]:
    if settings.anthropic_api_key is None:
        return [Check("anthropic", OK, "no key: the scripted interviewer runs")]
    import anthropic

    async with anthropic.AsyncAnthropic(api_key=settings.anthropic_api_key.get_secret_value(), max_retries=0) as api:
        try:
            model = await api.models.retrieve(settings.model)  # authenticated, and free
        except anthropic.AuthenticationError:
            return [Check("anthropic", FAIL, "the API key was refused", "set ANTHROPIC_API_KEY to a valid key")]
        except anthropic.NotFoundError:
            fix = "set CANDOR_MODEL to a model your key can use"
            return [Check("anthropic", FAIL, f"no model {settings.model}", fix)]
        except anthropic.APIError as exc:
            return [Check("anthropic", FAIL, f"{type(exc).__name__}", "check the network to the Anthropic API")]
    return [Check("anthropic", OK, f"key accepted; model {model.id}")]


async def _sinks(settings: Settings) -> list[Check]:
    from adapters.runtime import build_sinks

    try:
        sinks = build_sinks(settings)
    except ConfigError as exc:
        return [Check("sinks", FAIL, str(exc), "fix CANDOR_SINKS")]
    checks = []
    for sink in sinks:
        probe = getattr(sink, "check", None)
        if probe is None:
            checks.append(Check(f"sink {sink.name}", OK, "configured"))
            continue
        problem = await probe()
        checks.append(
            Check(f"sink {sink.name}", FAIL, problem, "fix the sink or its credentials")
            if problem
            else Check(f"sink {sink.name}", OK, "writable")
        )
    return checks


async def diagnose(settings: Settings) -> list[Check]:
    checks = [*_keys(settings), _flows(settings)]
    checks += await _redis(settings)
    checks += await _slack()
    checks += await _teams()
    checks += await _anthropic(settings)
    checks += await _sinks(settings)
    return checks


def doctor(settings: Settings) -> int:
    checks = asyncio.run(diagnose(settings))
    width = max(len(check.name) for check in checks)
    for check in checks:
        print(f"{check.status:<4}  {check.name:<{width}}  {check.detail}")
        if check.fix:
            print(f"{'':<4}  {'':<{width}}  fix: {check.fix}")
    failed = sum(check.status == FAIL for check in checks)
    print(os.linesep + (f"{failed} check(s) failed" if failed else "all checks passed"))
    return 1 if failed else 0
