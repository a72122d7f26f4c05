"""AWS list prices for what a request through this application costs, and the arithmetic.

The one place the prices live (docs/serverless.md explains them): US East (N. Virginia),
on-demand, first pricing tier, no free tier, as published on the pricing pages below on
:data:`PRICES_DATE`. A request through thinker costs Lambda requests and GB-seconds for each
function it runs, and one API Gateway request for each API it enters.

- Lambda: https://aws.amazon.com/lambda/pricing/ ($0.20 per million requests; $0.0000166667 per
  GB-second on x86_64, $0.0000133334 on arm64, up to 6 billion / 7.5 billion GB-seconds a month).
- API Gateway: https://aws.amazon.com/api-gateway/pricing/ (REST APIs $3.50 per million requests
  for the first 333 million a month; HTTP APIs $1.00 per million for the first 300 million).

Lambda bills the Billed Duration of the REPORT line at the function's configured memory; since
August 2025 that includes the init phase of on-demand functions on managed runtimes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

REGION = "us-east-1"
PRICES_DATE = "2026-12-01"
LAMBDA_PRICING_URL = "https://aws.amazon.com/lambda/pricing/"
API_GATEWAY_PRICING_URL = "https://aws.amazon.com/api-gateway/pricing/"

MILLION = 1_000_000
# USD per request.
LAMBDA_REQUEST = 0.20 / MILLION
# USD per GB-second, by the function's Architectures value.
LAMBDA_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
# USD per request, by the API's kind (AWS::Serverless::Api is REST, HttpApi is HTTP).
API_GATEWAY_REQUEST = {"REST": 3.50 / MILLION, "HTTP": 1.00 / MILLION}
# Lambda's GB is 1,024 MB: a 512 MB function running 1 s uses 0.5 GB-seconds.
MB_PER_GB = 1024


def gb_seconds(billed_ms: int, memory_mb: int) -> float:
    """GB-seconds of one invocation: its billed duration at the memory it was given."""
    return (billed_ms / 1000) * (memory_mb / MB_PER_GB)


@dataclass(frozen=True)
class Cost:
    """What a set of invocations of one function costs on AWS, in USD, by line item."""

    requests: int
    gb_seconds: float
    lambda_requests: float
    lambda_duration: float
    api_gateway: float

    @property
    def total(self) -> float:
        return self.lambda_requests + self.lambda_duration + self.api_gateway

    @property
    def per_million(self) -> float:
        """The cost of a million such requests (the average one, a million times)."""
        return self.total / self.requests * MILLION if self.requests else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "lambda_requests": self.lambda_requests,
            "lambda_duration": self.lambda_duration,
            "api_gateway": self.api_gateway,
            "total": self.total,
            "per_million": self.per_million,
        }


def cost(invocations: Iterable[tuple[int, int]], *, architecture: str, api: str | None) -> Cost:
    """The cost of invocations given as ``(billed_ms, memory_mb)`` of one function.

    ``api`` is the kind of API Gateway API in front of the function (``"REST"``, ``"HTTP"``),
    each invocation one request through it; ``None`` when nothing but Lambda calls it.
    """
    if architecture not in LAMBDA_GB_SECOND:
        raise ValueError(f"no Lambda price for architecture {architecture!r}")
    if api is not None and api not in API_GATEWAY_REQUEST:
        raise ValueError(f"no API Gateway price for {api!r} APIs")
    count = 0
    total_gb_s = 0.0
    for billed_ms, memory_mb in invocations:
        count += 1
        total_gb_s += gb_seconds(billed_ms, memory_mb)
    return Cost(
        requests=count,
        gb_seconds=total_gb_s,
        lambda_requests=count * LAMBDA_REQUEST,
        lambda_duration=total_gb_s * LAMBDA_GB_SECOND[architecture],
        api_gateway=count * API_GATEWAY_REQUEST[api] if api else 0.0,
    )


def price_list() -> dict[str, Any]:
    """The prices as the JSON API returns them."""
    return {
        "region": REGION,
        "date": PRICES_DATE,
        "currency": "USD",
        "lambda_request": LAMBDA_REQUEST,
        "lambda_gb_second": dict(LAMBDA_GB_SECOND),
        "api_gateway_request": dict(API_GATEWAY_REQUEST),
        "sources": [LAMBDA_PRICING_URL, API_GATEWAY_PRICING_URL],
    }
