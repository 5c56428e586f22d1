"""The ``candor`` command: argument parsing and exit codes; the work happens in ``bot``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from adapters import admin_cli, analyze_cli, eval_cli, health, keys_cli, sinks_cli, wave_cli
from adapters.console import AnswersFileError, ConsoleChat, answers_from, answers_from_terminal, read_answers
from adapters.logs import configure as configure_logs
from adapters.runtime import flow_dirs, open_runtime
from adapters.slack.config import SlackSettings
from bot.config import Settings, load_settings
from bot.errors import CandorError, ConfigError
from bot.flows import FlowFileError, FlowRegistry, load_flow_file
from bot.flows.loader import flow_files

EXIT_ERROR = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="candor", description="Research interviews in chat, run by Candor.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run an interview in this terminal")
    demo.add_argument("--answers", type=Path, help="file of answers separated by blank lines (non-interactive)")
    demo.add_argument("--flow", help="interview flow id (default: CANDOR_DEFAULT_FLOW)")
    demo.add_argument("--name", help="your name, so the demo can show it being redacted")
    flows = commands.add_parser("flows", help="check and list interview flows")
    flow_commands = flows.add_subparsers(dest="flows_command", required=True)
    validate = flow_commands.add_parser("validate", help="check flow files (or folders of them)")
    validate.add_argument("paths", nargs="+", type=Path)
    flow_commands.add_parser("list", help="show the installed flows")
    plan = flow_commands.add_parser("plan", help="draft a flow from research goals with Claude, for review")
    plan.add_argument("--goals", required=True, help="a file of research goals, or the goals as text")
    plan.add_argument("--out", required=True, type=Path, help="where to write the draft flow (YAML)")
    plan.add_argument("--id", help="the flow id to use (default: Claude proposes one)")
    plan.add_argument("--force", action="store_true", help="replace --out if it exists")
    plan.add_argument(
        "--study-from", help="copy the study facts (who, why, contact, retention) from this flow (default: the default)"
    )
    review = flow_commands.add_parser("review", help="show a flow as participants see it, then the researcher notes")
    review.add_argument("path", type=Path)
    evaluate = commands.add_parser("eval", help="replay real interviews' answers and measure the interviewer")
    evaluate.add_argument("--flow", help="interview flow id (default: CANDOR_DEFAULT_FLOW)")
    evaluate.add_argument("--transcripts", type=Path, help="AI:/User: *.txt files or a transcript_id,text CSV")
    evaluate.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    serve = commands.add_parser("serve", help="run the Slack app (HTTP events, OAuth, health checks)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    serve.add_argument("--port", type=int, default=None, help="port (default: $PORT, else 3000)")
    serve.add_argument("--socket-mode", action="store_true", help="also connect to Slack over Socket Mode")
    slack = commands.add_parser("slack", help="Slack helpers")
    slack_commands = slack.add_subparsers(dest="slack_command", required=True)
    participants = commands.add_parser("participants", help="privacy requests about one participant")
    participant_commands = participants.add_subparsers(dest="participants_command", required=True)
    withdraw = participant_commands.add_parser("withdraw", help="delete everything held about a participant")
    withdraw.add_argument("--user", required=True, help="PLATFORM:WORKSPACE:USER, e.g. slack:T0123:U0456")
    withdraw.add_argument("--study", help="only this study (flow id), e.g. ai-at-work; default: every study")
    sinks = commands.add_parser("sinks", help="transcripts waiting for delivery, per sink")
    sink_commands = sinks.add_subparsers(dest="sinks_command", required=True)
    sink_commands.add_parser("status", help="show what is waiting and which sinks are failing")
    sink_commands.add_parser("retry", help="try every waiting transcript again now")
    keys = commands.add_parser("keys", help="encryption keys for what Redis holds (CANDOR_ENCRYPTION_KEYS)")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    new_key = key_commands.add_parser("generate", help="print a new keyid:base64key entry")
    new_key.add_argument("--id", help="the key id (default: k + 6 random hex digits)")
    key_commands.add_parser("rotate", help="re-encrypt everything in Redis under the first key")
    purge = commands.add_parser("purge", help="delete delivered transcripts kept locally past the retention period")
    purge.add_argument("--older-than", required=True, help="e.g. 30d, 12h")
    commands.add_parser("worker", help="run background jobs (waves, delivery retries); start as many as you like")
    health.add_arguments(commands.add_parser("health", help="container health check: serve's /healthz or Redis"))
    wave_cli.add_parser(commands)
    commands.add_parser("doctor", help="check the configuration and everything it names, with a fix for each failure")
    analyze_cli.add_parser(commands)
    teams = commands.add_parser("teams", help="Microsoft Teams helpers")
    teams_commands = teams.add_subparsers(dest="teams_command", required=True)
    package = teams_commands.add_parser("package", help="build the Teams app package (zip) to upload")
    package.add_argument("--url", required=True, help="the public https URL where candor serve is reached")
    package.add_argument("--app-id", help="the Azure Bot's app id (default: $TEAMS_APP_ID)")
    package.add_argument("--name", default="Candor", help="the app's name in Teams")
    package.add_argument("--out", type=Path, default=Path("candor-teams.zip"), help="where to write the zip")
    manifest = slack_commands.add_parser("manifest", help="print the Slack app manifest")
    manifest.add_argument("--url", required=True, help="the public https URL where candor serve is reached")
    manifest.add_argument("--name", default="Candor", help="the app's display name")
    manifest.add_argument("--socket-mode", action="store_true", help="enable Socket Mode in the manifest")
    return parser


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    answers = read_answers(args.answers) if args.answers else None

    async def run() -> int:
        # One terminal answer is one message, so there is nothing to wait for.
        runtime = await open_runtime(settings, answer_window_seconds=0)
        try:
            chat = ConsoleChat(runtime.engine, sys.stdout, name=args.name)
            source = answers_from(answers) if answers is not None else answers_from_terminal(sys.stdin, sys.stdout)
            if args.flow:
                runtime.engine.flows.get(args.flow)
            return await chat.run(source, args.flow, echo=answers is not None)
        finally:
            await runtime.close()

    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        print("\n(Interrupted. The interview is saved; run `candor demo` again to continue.)")
        return 3


def _validate(paths: list[Path]) -> int:
    failed = 0
    for path in flow_files(paths):
        try:
            flow = load_flow_file(path)
        except FlowFileError as exc:
            failed += 1
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            continue
        print(f"{path}: ok ({flow.id} v{flow.version}, {len(flow.questions)} questions)")
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        print(f"{path}:1: (file): no such file or folder", file=sys.stderr)
    return EXIT_ERROR if failed or missing else 0


def _list(settings: Settings) -> int:
    registry = FlowRegistry.from_dirs(flow_dirs(settings))
    print(f"{'id':<22} {'version':>7} {'questions':>9} {'minutes':>7}  title")
    for flow in registry:
        print(f"{flow.id:<22} {flow.version:>7} {len(flow.questions):>9} {flow.estimated_minutes:>7}  {flow.title}")
    return 0


def _port(given: int | None) -> int:
    if given is not None:
        return given
    raw = os.environ.get("PORT", "3000")
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"invalid setting: PORT: must be a port number between 1 and 65535 (got {raw!r})")
    return int(raw)


def _require_shared_keys(settings: Settings) -> None:
    """Servers and workers must share keys: a key generated per machine would split one person in two."""
    if settings.pseudonym_key is None and not settings.development:
        raise ConfigError(
            "CANDOR_PSEUDONYM_KEY is not set: give the server a long random secret (it keys the hashes that keep "
            "participants unidentifiable), or set CANDOR_DEVELOPMENT=1 to use a key generated on this machine"
        )
    if settings.encryption_keys is None and not settings.development:
        raise ConfigError(
            "CANDOR_ENCRYPTION_KEYS is not set: give the server keyid:base64key (from `candor keys generate`; "
            "it encrypts interviews in Redis), or set CANDOR_DEVELOPMENT=1 to use a key generated on this machine"
        )


def _doctor(settings: Settings) -> int:
    from adapters.doctor import doctor

    return doctor(settings)


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from adapters.worker import main as worker_main

    _require_shared_keys(settings)
    return worker_main(settings)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from adapters.service import serve
    from adapters.slack.config import load_slack_settings
    from adapters.teams.config import load_teams_settings

    _require_shared_keys(settings)
    slack_settings = load_slack_settings()
    teams_settings = load_teams_settings()
    teams_settings.check(args.host)
    run_slack: SlackSettings | None = slack_settings
    if args.socket_mode:
        slack_settings.check_for_socket_mode()
    elif slack_settings.configured or not teams_settings.enabled:
        slack_settings.check_for_http()
    else:
        run_slack = None  # Teams only
    asyncio.run(serve(settings, run_slack, teams_settings, args.host, _port(args.port), args.socket_mode))
    return 0


def _manifest(args: argparse.Namespace) -> int:
    from adapters.slack.manifest import manifest

    if not args.url.startswith("https://") and not args.socket_mode:
        raise ConfigError(f"--url must be the public https:// address of candor serve (got {args.url!r})")
    print(yaml.safe_dump(manifest(args.url, args.name, args.socket_mode), sort_keys=False, allow_unicode=True), end="")
    return 0


def _teams_package(args: argparse.Namespace) -> int:
    from adapters.teams.package import package

    app_id = args.app_id or os.environ.get("TEAMS_APP_ID")
    if not app_id:
        raise ConfigError("give --app-id (or set TEAMS_APP_ID): the Azure Bot's Microsoft App ID")
    data = package(args.url, app_id, args.name)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes): upload it in Teams admin center > Manage apps > Upload")
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.command == "flows" and args.flows_command == "validate":
        return _validate(args.paths)
    if args.command == "flows" and args.flows_command == "review":
        return eval_cli.review(args.path)
    if args.command == "keys" and args.keys_command == "generate":
        return keys_cli.generate(args)
    if args.command == "health":
        return health.run(args)
    settings = load_settings()
    configure_logs(settings.log_level, settings.log_format)
    handlers: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
        "demo": _demo,
        "eval": eval_cli.evaluate,
        "flows": lambda s, a: eval_cli.plan(s, a) if a.flows_command == "plan" else _list(s),
        "keys": keys_cli.rotate,
        "participants": admin_cli.withdraw,
        "purge": admin_cli.purge,
        "serve": _serve,
        "sinks": sinks_cli.sinks,
        "slack": lambda s, a: _manifest(a),
        "teams": lambda s, a: _teams_package(a),
        "worker": _worker,
        "wave": wave_cli.wave,
        "doctor": lambda s, a: _doctor(s),
        "analyze": analyze_cli.run,
    }
    return handlers[args.command](settings, args)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (AnswersFileError, ConfigError) as exc:
        print(f"candor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FlowFileError as exc:
        print(f"candor: a flow file is invalid:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    except CandorError as exc:
        print(f"candor: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
