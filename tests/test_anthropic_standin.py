"""The Anthropic stand-in speaks the Messages API well enough for the real SDK: parsing, retries, timeouts, caching."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anthropic
import pytest
from anthropic import AsyncAnthropic
from anthropic.types import MessageParam, TextBlock, TextBlockParam, ToolParam, ToolUseBlock

from tests.anthropic_standin import AnthropicStandIn, Planned, error, system_text, text, tool_use, user_texts

MODEL = "claude-sonnet-5-5"  # not in the SDK's DEPRECATED_MODELS, which warn (errors here)
TOOL: ToolParam = {
    "name": "record_answer",
    "description": "Record the participant's answer to the current question.",
    "input_schema": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]},
}
LONG_SYSTEM = "You are Candor, a careful research interviewer. " * 120  # ~1,440 tokens by the stand-in's estimate


@pytest.fixture
async def api() -> AsyncIterator[AnthropicStandIn]:
    async with AnthropicStandIn() as standin:
        yield standin


def cached_system() -> list[TextBlockParam]:
    return [{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}]


async def test_tool_use_is_parsed_by_the_sdk(api: AnthropicStandIn) -> None:
    api.reply_tool("record_answer", {"answer": "weekly"})
    async with AsyncAnthropic(api_key="test", base_url=api.base_url, max_retries=2) as client:
        message = await client.messages.create(
            model=MODEL,
            max_tokens=256,
            system="Interview politely.",
            tools=[TOOL],
            messages=[{"role": "user", "content": "About once a week."}],
        )
    [block] = message.content
    assert isinstance(block, ToolUseBlock)
    assert (block.name, block.input, block.id) == ("record_answer", {"answer": "weekly"}, "toolu_1")
    assert message.stop_reason == "tool_use" and message.model == MODEL and message.id.startswith("msg_")
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    request = api.last_request()
    assert request.api_key == "test" and request.api_version
    assert system_text(request) == "Interview politely." and api.tools(request) == [TOOL]
    assert user_texts(request) == ["About once a week."] and api.cache_breakpoints(request) == 0


async def test_rate_limit_with_retry_after_is_retried(api: AnthropicStandIn) -> None:
    api.fail(429, retry_after=0.1)
    api.reply_text("Thanks!")
    async with AsyncAnthropic(api_key="test", base_url=api.base_url, max_retries=2) as client:
        started = time.monotonic()
        message = await client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}])
        elapsed = time.monotonic() - started
    assert isinstance(message.content[0], TextBlock) and message.content[0].text == "Thanks!"
    first, second = api.requests()
    assert (first.status, second.status) == (429, 200)
    assert first.response["error"]["type"] == "rate_limit_error"
    assert (first.retry_count, second.retry_count) == (0, 1)
    assert 0.1 <= elapsed < 2.0  # the SDK waited as told, not its own backoff


async def test_overloaded_twice_then_success(api: AnthropicStandIn) -> None:
    api.plan_many([error(529, retry_after=0.05)] * 2, text("done"))
    async with AsyncAnthropic(api_key="test", base_url=api.base_url, max_retries=2) as client:
        message = await client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "x"}])
    assert message.stop_reason == "end_turn"
    statuses = [request.status for request in api.requests()]
    assert statuses == [529, 529, 200]
    assert api.requests()[0].response["error"]["type"] == "overloaded_error"


async def test_retries_exhausted_raise_the_typed_error(api: AnthropicStandIn) -> None:
    api.fail(529, retry_after=0.01, times=3)
    async with AsyncAnthropic(api_key="test", base_url=api.base_url, max_retries=1) as client:
        with pytest.raises(anthropic.OverloadedError) as caught:
            await client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "x"}])
    assert caught.value.status_code == 529 and len(api.requests()) == 2 and api.pending() == 1


async def test_timeout_raises_api_timeout_error(api: AnthropicStandIn) -> None:
    api.hang()
    async with AsyncAnthropic(api_key="test", base_url=api.base_url, max_retries=0, timeout=0.5) as client:
        with pytest.raises(anthropic.APITimeoutError):
            await client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "x"}])
    assert len(api.requests()) == 1


async def test_slow_answer_within_timeout_arrives(api: AnthropicStandIn) -> None:
    api.slow(0.2, then=tool_use("record_answer", {"answer": "late"}))
    async with AsyncAnthropic(api_key="test", base_url=api.base_url, max_retries=0, timeout=5) as client:
        message = await client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "x"}])
    assert isinstance(message.content[0], ToolUseBlock) and message.content[0].input == {"answer": "late"}


async def test_refusal_default_responder_and_validation(api: AnthropicStandIn) -> None:
    def echo(body: dict[str, Any]) -> Planned:
        return text(f"echo: {user_texts(body)[-1]}")

    api.refusal()
    api.set_default(echo)
    async with AsyncAnthropic(api_key="test", base_url=api.base_url, max_retries=0) as client:
        refused = await client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "a"}])
        echoed = await client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "b"}])
        with pytest.raises(anthropic.BadRequestError):
            await client.messages.create(model=MODEL, max_tokens=64, messages=[])
    async with AsyncAnthropic(api_key="test", base_url=api.base_url, max_retries=0) as client:
        with pytest.raises(anthropic.AuthenticationError):  # the SDK sends api_key as a bearer token; drop it
            await client.messages.create(
                model=MODEL,
                max_tokens=64,
                messages=[{"role": "user", "content": "c"}],
                extra_headers={"Authorization": anthropic.Omit()},
            )
    assert refused.stop_reason == "refusal" and refused.content == []
    assert isinstance(echoed.content[0], TextBlock) and echoed.content[0].text == "echo: b"
    async with aiohttp.ClientSession() as http:
        missing = await http.post(f"{api.base_url}/v1/messages", json={"model": MODEL}, headers={"x-api-key": "k"})
        assert missing.status == 400 and (await missing.json())["error"]["type"] == "invalid_request_error"
    assert [request.status for request in api.requests()] == [200, 200, 400, 401, 400]
    assert api.pending() == 0  # rejected requests consume no plan


async def test_identical_requests_read_the_cached_system_prompt(api: AnthropicStandIn) -> None:
    async with AsyncAnthropic(api_key="test", base_url=api.base_url, max_retries=0) as client:
        usages = []
        for _ in range(2):
            message = await client.messages.create(
                model=MODEL,
                max_tokens=64,
                system=cached_system(),
                messages=[{"role": "user", "content": "Hello there."}],
            )
            usages.append(message.usage)
    first, second = usages
    assert first.cache_creation_input_tokens and first.cache_creation_input_tokens > 1024
    assert first.cache_read_input_tokens == 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0 and second.input_tokens < 10
    assert api.cache_breakpoints(api.last_request()) == 1


async def test_short_prefix_is_not_cached(api: AnthropicStandIn) -> None:
    system: list[TextBlockParam] = [{"type": "text", "text": "Short.", "cache_control": {"type": "ephemeral"}}]
    async with AsyncAnthropic(api_key="test", base_url=api.base_url, max_retries=0) as client:
        for _ in range(2):
            message = await client.messages.create(
                model=MODEL,
                max_tokens=64,
                system=system,
                messages=[{"role": "user", "content": "hi"}],
            )
            assert (message.usage.cache_creation_input_tokens, message.usage.cache_read_input_tokens) == (0, 0)


async def test_conversation_growing_by_one_turn_mostly_reads_the_cache(api: AnthropicStandIn) -> None:
    def marked(content: str) -> list[TextBlockParam]:
        return [{"type": "text", "text": content, "cache_control": {"type": "ephemeral"}}]

    turns: list[MessageParam] = [{"role": "user", "content": marked("I work on the payments team.")}]
    async with AsyncAnthropic(api_key="test", base_url=api.base_url, max_retries=0) as client:
        first = await client.messages.create(model=MODEL, max_tokens=64, system=cached_system(), messages=turns)
        turns = [
            {"role": "user", "content": "I work on the payments team."},  # the breakpoint moves to the newest turn
            {"role": "assistant", "content": "How long have you been there?"},
            {"role": "user", "content": marked("About two years.")},
        ]
        second = await client.messages.create(model=MODEL, max_tokens=64, system=cached_system(), messages=turns)
    assert first.usage.cache_creation_input_tokens and first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens and 0 < second.usage.cache_creation_input_tokens < 30
    assert second.usage.input_tokens == 0
    assert user_texts(api.last_request()) == ["I work on the payments team.", "About two years."]
