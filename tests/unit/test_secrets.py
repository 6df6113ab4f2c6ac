"""The one table of secret formats: an example of every kind, masked wherever it appears."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services import secrets

# One example per kind in secrets.PATTERNS (a new pattern without an example fails below).
# Each is (kind, line of text holding the secret, the secret value that must not survive).
EXAMPLES: list[tuple[str, str, str]] = [
    ("GitHub token", "token = 'ghp_" + "a1B2c3D4" * 5 + "'", "ghp_" + "a1B2c3D4" * 5),
    ("GitHub token", "x_ghp_" + "Z9y8X7w6" * 5, "ghp_" + "Z9y8X7w6" * 5),
    ("GitHub token", "pat = github_pat_" + "11ABCDEFG_" * 6, "github_pat_" + "11ABCDEFG_" * 6),
    ("AWS access key id", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    (
        "AWS secret access key",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    (
        "AWS secret access key",
        '"SecretAccessKey": "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"',
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    ),
    ("OpenAI API key", "OPENAI_API_KEY=sk-proj-" + "Qw3rTy" * 5, "sk-proj-" + "Qw3rTy" * 5),
    ("Slack token", "SLACK=xoxb-1234567890-abcdefghijkl", "xoxb-1234567890-abcdefghijkl"),
    (
        "Slack token",
        "app_token: xapp-1-A0123BCDEFG-1234567890123-0a1b2c3d4e5f6a7b8c9d",
        "xapp-1-A0123BCDEFG-1234567890123-0a1b2c3d4e5f6a7b8c9d",
    ),
    (
        "Slack webhook URL",
        "hook = 'https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX'",
        "hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    ),
    ("Google API key", "key=AIzaSyA-" + "b" * 31, "AIzaSyA-" + "b" * 31),
    ("Stripe key", "stripe = sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39Hq"),
    (
        "PGP private key",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    ),
    (
        "private key",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
    ),
]

PEM_BODY = [
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
    "Lxoz7+3vJ1kr+gDD9uplA7ZS0T8DzZa5KZnL7ORy8z3IwlqVQ8cjJ1VVFQ==",
]
PGP_BODY = [
    "Version: GnuPG v2",
    "",
    "lQOYBF0wXs0BCADKxJ3ZPl2k9gX0y2Ymdq7xVlq0Q6l9Q0sIyE8jH0qcVj6m7w3h",
    "N1bWQ3yYzq6xGx8HgKx2d3oQy9VtQ8pXr0r4yJm3Lr5gU2kUuH2pXQyYpV7bQ==",
    "=nRBU",
]


def test_every_kind_in_the_table_has_an_example() -> None:
    assert {kind for kind, _, _ in EXAMPLES} == {p.kind for p in secrets.PATTERNS}


@pytest.mark.parametrize(("kind", "line", "value"), EXAMPLES, ids=[e[1][:24] for e in EXAMPLES])
def test_each_format_is_masked_and_located(kind: str, line: str, value: str) -> None:
    masked = secrets.mask(line)
    assert value not in masked
    assert f"[REDACTED {kind}]" in masked
    assert secrets.locate({"f.py": {3: line}}) == [("f.py", 3, kind)]


def test_the_label_before_an_aws_secret_stays_readable() -> None:
    masked = secrets.mask("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert masked == "aws_secret_access_key = [REDACTED AWS secret access key]"


def test_git_shas_and_ordinary_code_are_not_masked() -> None:
    code = "commit = 'da39a3ee5e6b4b0d3255bfef95601890afd80709'  # sk = secret_key(user)"
    assert secrets.mask(code) == code


def _block(begin: str, body: list[str], end: str, prefix: str) -> list[str]:
    return [prefix + begin, *(prefix + b for b in body), prefix + end]


@pytest.mark.parametrize("prefix", ["", "+", "    12        + "], ids=["text", "diff", "chunk"])
@pytest.mark.parametrize(
    ("begin", "body", "end"),
    [
        ("-----BEGIN RSA PRIVATE KEY-----", PEM_BODY, "-----END RSA PRIVATE KEY-----"),
        ("-----BEGIN PGP PRIVATE KEY BLOCK-----", PGP_BODY, "-----END PGP PRIVATE KEY BLOCK-----"),
    ],
    ids=["pem", "pgp"],
)
def test_every_line_inside_a_key_block_is_masked(
    prefix: str, begin: str, body: list[str], end: str
) -> None:
    lines = ["def load():", *_block(begin, body, end, prefix), "    return key"]
    masked = secrets.mask("\n".join(lines))
    for secret_line in body:
        if len(secret_line) > 6:  # "Version: GnuPG v2" included; the empty line is nothing
            assert secret_line not in masked
    assert "def load():" in masked and "    return key" in masked
    assert len(masked.split("\n")) == len(lines)  # line for line: citations stay right


def test_a_block_cut_by_a_chunk_boundary_is_masked_on_both_sides() -> None:
    begin = "-----BEGIN PRIVATE KEY-----"
    first = "\n".join(["+x = 1", "+" + begin, "+" + PEM_BODY[0]])
    second = "\n".join(["+" + PEM_BODY[1], "+" + PEM_BODY[2], "+-----END PRIVATE KEY-----"])
    assert PEM_BODY[0] not in secrets.mask(first)
    masked = secrets.mask(second)
    assert PEM_BODY[1] not in masked and PEM_BODY[2] not in masked


def test_code_that_only_mentions_a_begin_line_is_left_alone() -> None:
    code = "\n".join(
        [
            "if text.startswith('-----BEGIN RSA PRIVATE KEY-----'):",
            "    raise ValueError('refusing a private key')",
            "value = compute(total)",
        ]
    )
    masked = secrets.mask(code)
    assert "raise ValueError('refusing a private key')" in masked
    assert "value = compute(total)" in masked


def test_scrub_hides_environment_secrets_and_url_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secretvalue123")
    text = "failed at http://bot:hunter2@10.1.2.3:8080/v1 with ghp_secretvalue123"
    scrubbed = secrets.scrub(text)
    assert "hunter2" not in scrubbed and "ghp_secretvalue123" not in scrubbed
    assert "http://***@10.1.2.3:8080/v1" in scrubbed
    assert secrets.without_urls(text) == "failed at <url> with ***"


def test_every_kind_has_substring_hints_that_each_of_its_examples_contains() -> None:
    # mask() scans for a kind only when the text holds one of its hints (lower-cased): a
    # hint that an example lacks would let that secret through unmasked.
    assert {p.kind for p in secrets.PATTERNS} == set(secrets._HINTS)
    for kind, line, _ in EXAMPLES:
        assert any(h in line.lower() for h in secrets._HINTS[kind]), kind


def test_a_long_text_without_secrets_is_left_as_it_is() -> None:
    text = "".join(f"+    skip_{i} = ghost(akin, sk, xo)  # secretive notes\n" for i in range(500))
    assert secrets.mask(text) == text
    assert not secrets.may_contain("def handler(request):\n    return process(request)\n")


# The token formats as first written: the look-behind first, easy to read and check by eye.
# secrets.PATTERNS puts it after the token's first characters (much faster to scan); these
# must find exactly the same spans in any text.
_BEFORE = r"(?<![A-Za-z0-9])"
PLAIN = {
    "GitHub token": _BEFORE + r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})",
    "AWS access key id": _BEFORE + r"(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])",
    "OpenAI API key": _BEFORE + r"sk-(?:proj-)?[A-Za-z0-9_-]{20,}",
    "Slack token": _BEFORE + r"(?:xox[abposr]|xapp)-[A-Za-z0-9-]{10,}",
    "Google API key": _BEFORE + r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z])",
    "Stripe key": _BEFORE + r"[sr]k_live_[0-9a-zA-Z]{20,}",
}
_PIECES = [
    "ghp_",
    "gho_",
    "github_pat_",
    "AKIA",
    "ASIA",
    "sk-",
    "sk-proj-",
    "xoxb-",
    "xapp-",
    "AIza",
    "sk_live_",
    "rk_live_",
    "aws_secret_access_key = ",
    "SecretAccessKey: '",
    "awsSecretKey=",
    "secret_access_key=",
    "PRIVATE KEY",
    "g",
    "s",
    "A",
    "x",
    "_",
    "-",
    " ",
    "\n",
    "é",
    "9",
    "A" * 16,
    "Z9" * 10,
    "aB3/" * 10,
    "k" * 35,
]
texts = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.text(alphabet="aZ9_-/+x", max_size=45)), max_size=12
).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_the_fast_token_patterns_find_what_the_plain_ones_find(text: str) -> None:
    by_kind = {p.kind: p.regex for p in secrets.PATTERNS}
    for kind, plain in PLAIN.items():
        fast = by_kind[kind]
        assert [m.span() for m in fast.finditer(text)] == [
            m.span() for m in re.finditer(plain, text)
        ], kind


@settings(max_examples=400, deadline=None)
@given(texts)
def test_no_kind_that_matches_is_skipped_by_its_hints(text: str) -> None:
    candidates = secrets._candidates(text.lower())
    for pattern in secrets.PATTERNS:
        if pattern.regex.search(text):
            assert pattern in candidates, pattern.kind
