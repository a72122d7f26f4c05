"""The rules that turn what ddtrace sends into stored rows, as the Datadog Agent reads spans.

- Trace ids: the full 128-bit id as 32 lowercase hex digits (ddtrace sends the low 64 bits as
  ``trace_id`` and the high 64 in meta ``_dd.p.tid``); span and parent ids as decimal strings.
- Top-level spans: a root, or a span whose parent belongs to another service (another chunk); a
  service's requests are its top-level spans, a resource's its top-level and *measured* ones.
- Peer services: a client span's ``peer.service`` names the service it calls (DynamoDB, ...).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import orjson

from .spans import Span

Chunk = Sequence[Mapping[str, Any]]
# Where a row (store/database.py's COLUMNS) holds its meta JSON.
META = 13
# Meta and metrics are stored as JSON without spaces (about 40 bytes a span), keys sorted;
# metrics by json (NaN kept, where orjson writes null), meta by orjson (:func:`meta_json`).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
# The encoder's C part, made once: JSONEncoder.encode makes it anew at every call, which costs
# more than encoding a span's metrics. The same bytes (flat dicts: no cycles to look for).
try:
    from _json import make_encoder
except ImportError:  # an interpreter without json's C part
    _C_ENCODE = None
else:
    # As JSONEncoder.iterencode makes it: markers, default, the string encoder, indent, the
    # separators, sort_keys, skipkeys, allow_nan.
    _C_ENCODE = make_encoder(
        None,
        _ENCODER.default,
        json.encoder.encode_basestring_ascii,
        None,
        ":",
        ",",
        True,
        False,
        True,
    )


def to_json(value: Mapping[str, Any]) -> str:
    """A span's metrics as stored: compact JSON, keys sorted, ASCII, NaN kept."""
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def meta_json(meta: Mapping[str, str]) -> str:
    """A span's meta as stored: compact JSON, keys sorted. orjson writes it in a tenth of
    json's time (about 5 µs a span less), other than ASCII characters kept as they are."""
    return orjson.dumps(meta, option=orjson.OPT_SORT_KEYS).decode()


def full_trace_id(low: int, high: str) -> str:
    """The 128-bit trace id as 32 hex digits, from ddtrace's low 64 bits and ``_dd.p.tid``."""
    try:
        high_bits = int(high, 16) if high else 0
    except ValueError:
        high_bits = 0
    return f"{high_bits:016x}{low & 0xFFFF_FFFF_FFFF_FFFF:016x}"


def normalise_trace_id(text: str) -> str | None:
    """A trace id as stored (32 hex digits), from 32 or fewer hex digits; ``None`` if not an id.

    Decimal ids (the ``x-datadog-trace-id`` form) are matched by ``TraceStore.find_trace``.
    """
    candidate = text.strip().lower()
    if not candidate or len(candidate) > 32 or any(c not in "0123456789abcdef" for c in candidate):
        return None
    return candidate.rjust(32, "0")


def peer_service(meta: Mapping[str, str]) -> str | None:
    """The inferred service a client span calls (its ``peer.service``), as Datadog infers it."""
    if meta.get("span.kind") in ("client", "producer") and meta.get("peer.service"):
        return meta["peer.service"]
    return None


class Rows(list[tuple[Any, ...]]):
    """Span rows, with each one's meta as a dict (``metas``, in the rows' order) while they
    are written, so that the write need not parse the JSON just made of them. The write drops
    the dicts (:func:`take_metas`): rows kept to be written again (damage.Recent) do not hold
    them."""

    def __init__(
        self, rows: Iterable[tuple[Any, ...]] = (), metas: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(rows)
        self.metas = metas


def take_metas(rows: Sequence[Sequence[Any]]) -> list[dict[str, str]]:
    """Each row's meta as a dict: those the rows carry (which they then forget), else parsed
    from the rows' JSON."""
    metas = None
    if isinstance(rows, Rows):
        metas, rows.metas = rows.metas, None
    if metas is not None and len(metas) == len(rows):
        return metas
    return [json.loads(row[META]) for row in rows]


def meta_of(rows: Sequence[Sequence[Any]], index: int) -> dict[str, str]:
    """Row ``index``'s meta as a dict: the one the rows carry, else parsed from its JSON."""
    metas = rows.metas if isinstance(rows, Rows) else None
    if metas is not None:
        return metas[index]
    parsed: dict[str, str] = json.loads(rows[index][META])
    return parsed


def rows(chunks: Iterable[Chunk]) -> Rows:
    """The ``spans`` rows of trace chunks as decoded from a v0.4/v0.5 payload.

    A chunk is the spans one process sends for one trace; a span whose parent is not in its
    chunk came from another process (another service), so it is top-level.
    """
    metas: list[dict[str, str]] = []
    result = Rows(metas=metas)
    for chunk in chunks:
        services = {int(span.get("span_id") or 0): str(span.get("service") or "") for span in chunk}
        # ddtrace puts the high 64 bits of the trace id on the chunk's first span only.
        high = ""
        for span in chunk:
            tags = span.get("meta")
            if tags and "_dd.p.tid" in tags:
                high = str(tags["_dd.p.tid"])
                break
        trace_ids: dict[int, str] = {}
        for span in chunk:
            meta = {str(k): str(v) for k, v in (span.get("meta") or {}).items()}
            metas.append(meta)
            result.append(_row(span, meta, services, high, trace_ids))
    return result


def chunks(spans: Iterable[Span]) -> list[list[dict[str, Any]]]:
    """Spans in the store's form back into ddtrace's chunks (one per trace), for :func:`rows`."""
    by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        high = span.trace_id[:16]
        meta = dict(span.meta)
        if int(high, 16):
            meta["_dd.p.tid"] = high
        by_trace[span.trace_id].append(
            {
                **asdict(span),
                "trace_id": int(span.trace_id, 16) & 0xFFFF_FFFF_FFFF_FFFF,
                "span_id": int(span.span_id),
                "parent_id": int(span.parent_id or 0),
                "error": int(span.error),
                "meta": meta,
            }
        )
    return list(by_trace.values())


def _row(
    span: Mapping[str, Any],
    meta: dict[str, str],
    services: Mapping[int, str],
    high: str,
    trace_ids: dict[int, str],
) -> tuple[Any, ...]:
    """A span's row; ``meta``, its meta as stored; ``trace_ids``, the full ids of its chunk's
    trace ids (a chunk is mostly one trace)."""
    get = span.get
    metrics = {str(k): float(v) for k, v in (get("metrics") or {}).items()}
    parent = int(get("parent_id") or 0)
    service = str(get("service") or "")
    name = get("name")
    # ddtrace marks many cold-start import spans top-level; a cold start counts once, by its
    # aws.lambda.load span, or the cold-start "service" would show one request per module.
    top_level = name != "aws.lambda.import" and (
        metrics.get("_dd.top_level") == 1
        or metrics.get("_top_level") == 1
        or parent == 0
        or services.get(parent, service) != service
        or parent not in services
    )
    low = int(get("trace_id") or 0)
    trace_id = trace_ids.get(low)
    if trace_id is None:
        trace_id = trace_ids[low] = full_trace_id(low, high)
    return (
        trace_id,
        str(int(get("span_id") or 0)),
        str(parent) if parent else None,
        service,
        str(name or ""),
        str(get("resource") or name or ""),
        str(get("type") or ""),
        int(get("start") or 0),
        int(get("duration") or 0),
        1 if get("error") else 0,
        int(top_level),
        int(metrics.get("_dd.measured") == 1),
        peer_service(meta),
        meta_json(meta),
        to_json(metrics),
    )
