"""How much of real-world mail Tiski reads intact: the shared corpora and the
synthetic mails of tests/fixtures/email/i21.

Each file goes through ``parse_email``; a file with no mail headers at all
(the reply-text, image and sound fixtures) is counted as "not mail".
Intake's own rule decides whether a mail would be quarantined (no sender
and not a report). A mail is
counted as read intact on four points, judged against the raw bytes and
Python's modern parser as an independent reading:

- subject: no U+FFFD, no undecoded encoded word, present when a Subject is;
- sender: an address whenever any From, Reply-To or Sender line has one;
- body: no U+FFFD, no UTF-8-read-as-Windows-1252 ("Ã¤"), and some text,
  HTML or attachment whenever the mail has any content;
- attachments: every one named, no U+FFFD in a name, and at least as many
  as Python's ``iter_attachments`` finds.

    .venv/bin/python bench/mail_corpus.py [--corpora ../shared/corpora] [--out PATH]

Figures go to bench/results/mail-corpus-<date>.json. Benchmarks measure;
they never assert.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.message
import json
import os
import re
import sys
import time
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")

import django  # noqa: E402

django.setup()

from tiski.connectors.email.parse import ParsedEmail, UnparsableEmail, parse_email  # noqa: E402

SKIP = {"LICENSE", "README.md"}
_SENDER_LINE = re.compile(rb"(?im)^(from|reply-to|sender)[ \t]*:[^\r\n]*@")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]|â€")


def mail_files(corpora: Path) -> list[tuple[str, Path]]:
    files = []
    if corpora.is_dir():
        for path in sorted(corpora.rglob("*")):
            if path.is_file() and path.name not in SKIP and not path.name.startswith("."):
                files.append((path.relative_to(corpora).parts[0], path))
    synthetic = ROOT / "tests" / "fixtures" / "email" / "i21"
    files += [("synthetic-i21", path) for path in sorted(synthetic.glob("*.eml"))]
    return files


# Parts that are read as a report, never kept as files.
_REPORT_TYPES = {
    "message/delivery-status",
    "message/global-delivery-status",
    "message/feedback-report",
    "message/disposition-notification",
}


def _kept_as_file(part: email.message.EmailMessage) -> bool:
    if part.get_content_type() in _REPORT_TYPES or part.is_multipart():
        return False
    # Unnamed inline text continues the body (Apple Mail's text, image, text).
    return not (
        part.get_content_type() == "text/plain"
        and not part.get_filename()
        and part.get_content_disposition() != "attachment"
    )


def reference_attachments(raw: bytes) -> int | None:
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
        if not msg.is_multipart():
            return 0
        return sum(1 for part in msg.iter_attachments() if _kept_as_file(part))
    except Exception:  # noqa: BLE001 - the reference may fail where we do not
        return None


def reference_has_words(raw: bytes) -> bool:
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
        return any(
            (part.get_payload(decode=True) or b"").strip()
            for part in msg.walk()
            if not part.is_multipart()
        )
    except Exception:  # noqa: BLE001
        return True


def judge(raw: bytes, parsed: ParsedEmail) -> dict[str, bool]:
    # The mail's own header block, not those of a mail it quotes or returns.
    head = re.split(rb"\r?\n\r?\n", raw[:65536], maxsplit=1)[0]
    has_subject = re.search(rb"(?im)^subject[ \t]*:[ \t]*\S", head) is not None
    subject = parsed.subject
    subject_ok = (
        "\ufffd" not in subject
        and not _ENCODED_WORD.search(subject)
        and (bool(subject.strip()) or not has_subject)
    )
    sender_ok = bool(parsed.sender.address) or not _SENDER_LINE.search(head)
    said = parsed.text.strip() or parsed.html.strip() or parsed.attachments
    body_ok = (
        "\ufffd" not in parsed.text
        and not _MOJIBAKE.search(parsed.text)
        and bool(said or not reference_has_words(raw))
    )
    expected = reference_attachments(raw)
    names = [a.filename for a in parsed.attachments]
    attachments_ok = all(name and "\ufffd" not in name for name in names) and (
        expected is None or len(names) >= expected
    )
    return {
        "subject": subject_ok,
        "sender": sender_ok,
        "body": body_ok,
        "attachments": attachments_ok,
    }


def _shown(path: Path, corpora: Path) -> str:
    for base in (corpora, ROOT):
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return str(path)


def run(corpora: Path) -> dict:
    totals: dict[str, dict[str, int]] = {}
    failures: list[dict] = []
    seconds = 0.0
    parsed_count = 0
    for folder, path in mail_files(corpora):
        row = totals.setdefault(
            folder,
            {
                "files": 0,
                "not_mail": 0,
                "mails": 0,
                "quarantined": 0,
                "subject": 0,
                "sender": 0,
                "body": 0,
                "attachments": 0,
                "intact": 0,
            },
        )
        row["files"] += 1
        raw = path.read_bytes()
        start = time.perf_counter()
        try:
            parsed = parse_email(raw)
        except UnparsableEmail as exc:
            # Reply texts, images and sounds in the corpora: no headers at all.
            seconds += time.perf_counter() - start
            row["not_mail"] += 1
            failures.append({"file": _shown(path, corpora), "unreadable": exc.reason})
            continue
        seconds += time.perf_counter() - start
        parsed_count += 1
        row["mails"] += 1
        if not parsed.is_bounce and not parsed.sender.address:
            row["quarantined"] += 1
        verdict = judge(raw, parsed)
        for key, ok in verdict.items():
            row[key] += ok
        if all(verdict.values()):
            row["intact"] += 1
        else:
            lost = [key for key, ok in verdict.items() if not ok]
            failures.append({"file": _shown(path, corpora), "lost": lost})
    total = {key: sum(row[key] for row in totals.values()) for key in next(iter(totals.values()))}
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "folders": totals,
        "total": total,
        "parse_mails_per_second": round(parsed_count / seconds, 1) if seconds else None,
        "not_intact": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", default=str(ROOT.parent / "shared" / "corpora"))
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    result = run(Path(args.corpora))
    out = Path(args.out or ROOT / "bench" / "results" / f"mail-corpus-{dt.date.today()}.json")
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    header = (
        f"{'folder':<22}{'files':>6}{'!mail':>6}{'mails':>6}{'quar.':>6}"
        f"{'subj':>6}{'from':>6}{'body':>6}{'att':>6}{'intact':>7}"
    )
    print(header)
    for folder, row in [*result["folders"].items(), ("TOTAL", result["total"])]:
        print(
            f"{folder:<22}{row['files']:>6}{row['not_mail']:>6}{row['mails']:>6}{row['quarantined']:>6}{row['subject']:>6}"
            f"{row['sender']:>6}{row['body']:>6}{row['attachments']:>6}{row['intact']:>7}"
        )
    print(f"parse: {result['parse_mails_per_second']} mails/s on one core; figures in {out}")


if __name__ == "__main__":
    main()
