"""Files that are not a documented export, are truncated or mix helpdesks: one clear line naming
the file and the line (record), and exit status 2; never a traceback."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import month
import pytest
from typer.testing import CliRunner

from serviceflow.backtest.errors import ExportError
from serviceflow.backtest.files import MAX_LINE_BYTES
from serviceflow.backtest.sources import read_file
from serviceflow.cli import app

HERE = Path(__file__).resolve().parent
runner = CliRunner()
PLANS = month.plan_month(days=1, per_day=3)


def backtest(path: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["backtest", str(path), "--policies", str(HERE / "policies-a")])
    return result.exit_code, result.stderr


def write(tmp_path: Path, lines: list[str], name: str = "export.jsonl", end: str = "\n") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    return path


def test_a_pretty_printed_document_is_not_json_lines(tmp_path: Path) -> None:
    page = json.loads(next(month.zendesk_lines(PLANS)))
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page, indent=2), encoding="utf-8")
    code, err = backtest(path)
    assert code == 2
    assert f"{path}:1: not JSON" in err and "JSON Lines" in err and "Traceback" not in err


def test_an_unknown_shape_names_the_line_and_the_known_formats(tmp_path: Path) -> None:
    path = write(tmp_path, ['{"results": [], "count": 0}'])
    code, err = backtest(path)
    assert code == 2
    assert f"{path}:1: not a known export format: an object with keys count, results" in err
    assert "zendesk-incremental" in err and "freshdesk-tickets" in err and "serviceflow-events" in err


def test_a_line_cut_in_the_middle_is_truncation(tmp_path: Path) -> None:
    lines = list(month.zendesk_lines(PLANS))
    path = write(tmp_path, [*lines[:-1], lines[-1][: len(lines[-1]) // 2]], end="")
    code, err = backtest(path)
    assert code == 2
    assert f"{path}:{len(lines)}: the file is truncated" in err


def test_an_export_whose_last_page_wants_more_is_truncated(tmp_path: Path) -> None:
    lines = list(month.zendesk_lines(month.plan_month(days=1, per_day=4), page_size=2))
    pages = [line for line in lines if '"tickets"' in line]
    audits = [line for line in lines if '"audits"' in line]
    path = write(tmp_path, [pages[0], *audits[:2]])  # the second page was never saved
    code, err = backtest(path)
    assert code == 2
    assert f"{path}:1: the export is truncated: its last page says end_of_stream false" in err
    assert "cursor-2" in err


def test_a_freshdesk_ticket_inside_a_zendesk_export_is_mixed(tmp_path: Path) -> None:
    zendesk = list(month.zendesk_lines(PLANS))
    freshdesk = next(month.freshdesk_lines(PLANS))
    path = write(tmp_path, [*zendesk[:2], freshdesk, *zendesk[2:]])
    code, err = backtest(path)
    assert code == 2
    assert f"{path}:3: a freshdesk-tickets record (freshdesk) in a zendesk-incremental file (zendesk)" in err
    assert "one file holds one helpdesk's export" in err


def test_serviceflow_events_and_a_zendesk_page_do_not_mix(tmp_path: Path) -> None:
    path = write(tmp_path, [*list(month.neutral_lines(PLANS))[:2], next(month.zendesk_lines(PLANS))])
    code, err = backtest(path)
    assert (
        code == 2 and f"{path}:3: a zendesk-incremental record (zendesk) in a serviceflow-events file" in err
    )


def test_a_field_of_the_wrong_type_is_named(tmp_path: Path) -> None:
    lines = list(month.zendesk_lines(PLANS))
    audits = json.loads(lines[1])
    audits["audits"][0]["created_at"] = "yesterday"
    path = write(tmp_path, [lines[0], json.dumps(audits), *lines[2:]])
    code, err = backtest(path)
    assert code == 2
    assert f"{path}:2: not a ticket audits page as Zendesk documents it: audits.0.created_at:" in err


def test_audits_of_a_ticket_the_export_lacks_and_a_ticket_without_audits(tmp_path: Path) -> None:
    lines = list(month.zendesk_lines(PLANS))
    page = json.loads(lines[0])
    page["tickets"] = page["tickets"][1:]
    path = write(tmp_path, [json.dumps(page), *lines[1:]])
    with pytest.raises(
        ExportError, match=r":2: audits of ticket 1000, which no export page in the file holds"
    ):
        read_file(path)
    path = write(tmp_path, lines[:-1], name="short.jsonl")
    with pytest.raises(ExportError, match=r"short.jsonl:1: ticket 1002 has no audits in the file"):
        read_file(path)


def test_a_freshdesk_ticket_without_created_at_in_a_conversation(tmp_path: Path) -> None:
    ticket = json.loads(next(month.freshdesk_lines(PLANS)))
    del ticket["conversations"][0]["created_at"]
    second = next(iter(list(month.freshdesk_lines(PLANS))[1:]))
    path = write(tmp_path, [second, json.dumps(ticket)])
    code, err = backtest(path)
    assert (
        code == 2
        and f"{path}:2: not a Freshdesk ticket with conversations: conversations.0.created_at" in err
    )


def test_the_same_freshdesk_ticket_twice(tmp_path: Path) -> None:
    first = next(month.freshdesk_lines(PLANS))
    path = write(tmp_path, [first, "", first])
    code, err = backtest(path)
    assert code == 2 and f"{path}:3: ticket 1000 again (first on line 1)" in err


def test_empty_missing_and_not_an_object(tmp_path: Path) -> None:
    assert backtest(write(tmp_path, [""], name="empty.jsonl"))[1].count("holds no records") == 1
    code, err = backtest(tmp_path / "nowhere.jsonl")
    assert code == 2 and "no such file, and not a helpdesk account like zendesk:acme" in err
    code, err = backtest(write(tmp_path, ["[1, 2]"], name="array.jsonl"))
    assert code == 2 and "array.jsonl:1: a record must be a JSON object, not list" in err


def test_a_line_over_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_LINE_BYTES == 64 * 1024 * 1024  # the documented default
    monkeypatch.setattr("serviceflow.backtest.files.MAX_LINE_BYTES", 64)
    path = write(tmp_path, ["", json.dumps({"x": "y" * 100})])
    with pytest.raises(ExportError, match=r":2: the line is longer than 64 bytes"):
        read_file(path)


def test_an_unknown_vendor_account(tmp_path: Path) -> None:
    result = runner.invoke(app, ["backtest", "nosuchdesk:acme", "--policies", str(HERE / "policies-a")])
    assert result.exit_code == 2
    assert "no installed plugin serves the helpdesk 'nosuchdesk'" in result.stderr


def test_a_bad_since(tmp_path: Path) -> None:
    result = runner.invoke(app, ["backtest", "zendesk:acme", "--since", "a while"])
    assert result.exit_code == 2 and "--since 'a while' is not a span like 30d" in result.stderr


def test_audits_that_do_not_start_with_the_creation(tmp_path: Path) -> None:
    lines = list(month.zendesk_lines(PLANS))
    audits = json.loads(lines[1])
    audits["audits"] = audits["audits"][1:]  # the first page of its audits was not saved
    path = write(tmp_path, [lines[0], json.dumps(audits), *lines[2:]])
    with pytest.raises(ExportError, match=r":2: the audits of ticket 1000 do not start with its creation"):
        read_file(path)


def test_a_broken_policy_set_is_exit_1_and_named(tmp_path: Path) -> None:
    broken = tmp_path / "policies"
    broken.mkdir()
    (broken / "policyset.yaml").write_text(
        (HERE / "policies-a" / "policyset.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (broken / "support.yaml").write_text(
        "apiVersion: serviceflow/v1\nkind: Policy\nname: support\nmatch: 'ticket.nope =='\n", encoding="utf-8"
    )
    events = write(tmp_path, list(month.neutral_lines(PLANS)))
    result = runner.invoke(app, ["backtest", str(events), "--policies", str(broken)])
    assert result.exit_code == 1
    assert "support.yaml" in result.stderr and "the policy set is broken" in result.stderr


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"id": "caf\xe9"}', "not UTF-8 text (invalid continuation byte at byte 11 of the line)"),
        (b'{"id": ' + b"9" * 5000 + b"}", "not JSON (a number has more than 4300 digits)"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON (nested too deeply)"),
    ],
)
def test_a_line_json_refuses_names_the_real_reason(tmp_path: Path, line: bytes, reason: str) -> None:
    path = tmp_path / "export.jsonl"
    path.write_bytes(line + b"\n")
    code, err = backtest(path)
    assert code == 2
    assert f"{path}:1: {reason}" in err, err


def test_a_utf8_bom_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + b"\n".join(line.encode() for line in month.neutral_lines(PLANS)) + b"\n"
    )
    code, err = backtest(path)
    assert code == 0, err


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("2w", timedelta(weeks=2)),  # refused, while report and reconcile took weeks
        ("30d", timedelta(days=30)),
        (" 12h ", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("2 weeks", timedelta(weeks=2)),
        ("1h30m", timedelta(minutes=90)),
    ],
)
def test_since_takes_the_units_report_and_reconcile_take(text: str, span: timedelta) -> None:
    from serviceflow.backtest.sources import parse_since

    assert parse_since(text) == span


@pytest.mark.parametrize("text", ["0d", "9999w", "8 business hours", "2x", "", "1" * 500])
def test_since_refuses_what_is_no_span_back(text: str) -> None:
    from serviceflow.backtest.errors import BacktestError
    from serviceflow.backtest.sources import parse_since

    with pytest.raises(BacktestError, match="is not a span like 30d, 2w, 12h or 90m"):
        parse_since(text)
