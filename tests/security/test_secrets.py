"""No secret in the repository: every tracked text file scanned for credentials' shapes."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.processes import REPO

PATTERNS = {
    "AWS access key id": re.compile(
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|A3T[A-Z0-9])[A-Z0-9]{16}\b"
    ),
    "AWS secret access key": re.compile(
        r"(?i)aws_?secret_?access_?key\W{0,4}[=:]\W{0,4}[A-Za-z0-9/+]{40}\b"
    ),
    "Datadog API or application key": re.compile(
        r"(?i)(?:dd|datadog)_?(?:api|app(?:lication)?)_?key\W{0,4}[=:]\W{0,4}[0-9a-f]{32,40}\b"
    ),
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
}
# Values that look like credentials and are known not to be, each with its reason.
ALLOWED = {
    # thinker_local/aws/account.py: the local stack's deliberately fake credentials (they sign
    # requests to the local gateway and moto, and can reach nothing real).
    "ASIATHINKERLOCAL0000",
    # events/microservice.json: the example access key id of AWS's own documentation.
    "AKIAIOSFODNN7EXAMPLE",
}


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout
    return [name for name in listed.decode().split("\0") if name]


def findings(text: str) -> list[tuple[str, str]]:
    return [
        (kind, match.group(0))
        for kind, pattern in PATTERNS.items()
        for match in pattern.finditer(text)
        if match.group(0) not in ALLOWED
    ]


def test_no_tracked_file_holds_a_credential() -> None:
    found = []
    for name in tracked_files():
        path = REPO / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:4096]:
            continue  # binary (images)
        found += [
            (name, kind, value[:12] + "…")
            for kind, value in findings(data.decode(errors="replace"))
        ]
    assert found == []


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        # Built at run time, so that no credential-shaped string sits in this file.
        ("AWS access key id", "key = " + "AKIA" + "Z" * 16),
        ("AWS secret access key", "aws_secret_access_key = " + "a1B/c" * 8),
        ("Datadog API or application key", "DD_API_KEY=" + "0123456789abcdef" * 2),
        ("private key", "-----BEGIN " + "RSA PRIVATE KEY-----"),
    ],
)
def test_the_scan_finds_each_kind_of_credential(kind: str, text: str) -> None:
    assert [found_kind for found_kind, _ in findings(text)] == [kind]


def test_the_template_takes_the_datadog_key_by_reference_only() -> None:
    template = (REPO / "template.yaml").read_text()
    assert "DD_API_KEY:" not in template
    assert 'DD_API_KEY_SECRET_ARN: !If [IsLocal, "", !Ref DatadogApiKeySecretArn]' in template
