"""``serviceflow report`` through the CLI, over a real store holding the hand-computed rows of
test_tally, and its HTML page in a real headless Chromium."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from browser_support import Dom, rendered_dom
from test_tally import ROWS
from typer.testing import CliRunner

from serviceflow.cli import app
from serviceflow.cli.boundary import EXIT_FAILED, EXIT_USAGE
from serviceflow.outcomes import Outcome
from serviceflow.outcomes.html import chart_ids
from serviceflow.outcomes.report import build_report
from serviceflow.outcomes.store import OutcomeStore

runner = CliRunner()


@pytest.fixture
def store_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "outcomes.sqlite3"
    store = OutcomeStore(str(path))
    store.write(ROWS)
    store.close()
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_URL", str(path))
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["report", *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_terminal_report(store_file: Path) -> None:
    code, out, err = invoke()
    assert code == 0, err
    assert "Service outcomes: all recorded" in out and "7 cases" in out
    assert "simple/reply" in out and "50.0%" in out and "frontline" in out
    assert "1.5 h" in out  # the first response's p50, 5,400 s
    assert "escalations, level 2" in out


def test_json_has_every_number(store_file: Path) -> None:
    code, out, _ = invoke("--json")
    assert code == 0
    data = json.loads(out)["tally"]
    team = {r["name"]: r for r in data["rates"] if r["dimension"] == "team"}
    assert team["frontline"] == {
        "dimension": "team", "name": "frontline",
        "met": 2, "met_late": 1, "breached": 2, "label": None, "settled": 4, "rate": 0.5,
    }  # fmt: skip
    assert data["first_response"] == {"count": 5, "p50": 5400.0, "p90": 21600.0, "max": 21600.0}
    assert data["escalations"] == {"1": 2, "2": 1}
    assert (data["promises_kept"], data["promises_missed"]) == (2, 1)


def test_csv_is_one_number_a_line(store_file: Path) -> None:
    code, out, _ = invoke("--csv")
    assert code == 0
    lines = list(csv.DictReader(io.StringIO(out)))
    found = {(r["metric"], r["dimension"], r["name"]): r["value"] for r in lines}
    assert found[("breach_rate", "team", "frontline")] == "0.5"
    assert found[("targets_breached", "agent", "cat")] == "2"
    assert found[("resolution_seconds", "", "p90")] == "86400.0"
    assert found[("quarantine_reviewed", "", "late")] == "1"


def test_filters(store_file: Path) -> None:
    data = json.loads(invoke("--json", "--team", "billing")[1])
    assert data["team"] == "billing" and data["tally"]["cases"] == 1
    data = json.loads(invoke("--json", "--policy", "urgent")[1])["tally"]
    assert [r["name"] for r in data["rates"] if r["dimension"] == "policy"] == ["urgent"]
    assert data["first_response"]["count"] == 1
    data = json.loads(invoke("--json", "--since", "2026-03-02T13:00:00+01:00")[1])["tally"]
    assert data["rows"] == 7  # 4 h and more after the 09:00 opening (Amsterdam)
    assert json.loads(invoke("--json", "--since", "1d")[1])["tally"]["rows"] == 0  # all of it is older


def test_shadow_shows_what_would_have_been_done(store_file: Path) -> None:
    code, out, _ = invoke("--shadow")
    assert code == 0
    assert "What shadow mode would have done" in out and "actions that would have been notify" in out
    assert json.loads(invoke("--json", "--shadow")[1])["tally"]["actions"] == {"notify": 1}


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("--csv", "--json"), EXIT_USAGE, "--csv and --json: choose one"),
        (("--since", "last tuesday"), EXIT_USAGE, "--since: 'last tuesday' is not a time"),
        (("--since", "99999w"), EXIT_USAGE, "more than ten years"),
        (
            ("--html", "/proc/no/such/report.html"),
            EXIT_FAILED,
            "--html: cannot write /proc/no/such/report.html",
        ),
    ],
)
def test_usage_and_failures(store_file: Path, args: tuple[str, ...], code: int, says: str) -> None:
    got, _, err = invoke(*args)
    assert (got, says in err) == (code, True), err
    assert "Traceback" not in err


def test_a_report_reads_a_bounded_number_of_rows(store_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_REPORT_MAX_ROWS", "24")  # 25 live rows are kept
    code, _, err = invoke()
    assert code == EXIT_FAILED and "more than 24 outcomes match" in err and "--since" in err
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_REPORT_MAX_ROWS", "25")
    assert invoke()[0] == 0
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_REPORT_MAX_ROWS", "0")
    code, _, err = invoke()
    assert code == EXIT_USAGE and "SERVICEFLOW_OUTCOMES_REPORT_MAX_ROWS" in err


def test_a_store_it_cannot_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_URL", str(tmp_path / "never-written.sqlite3"))
    code, _, err = invoke()
    assert code == EXIT_FAILED and "no outcomes recorded yet at" in err
    assert not (tmp_path / "never-written.sqlite3").exists()  # a report writes nothing
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_URL", "mysql://u:secret@db/x")
    code, _, err = invoke()
    assert code == EXIT_USAGE and "mysql:// is not a store" in err and "secret" not in err
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_URL", "postgresql://u:secret@127.0.0.1:1/x")
    code, _, err = invoke()
    assert code == EXIT_FAILED and "cannot open the outcome store" in err and "secret" not in err


def test_the_html_page_renders_its_charts_in_a_real_browser(store_file: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    code, _, err = invoke("--html", str(page))
    assert code == 0 and f"wrote {page}" in err
    assert "<script src" not in page.read_text()  # plotly.js is inlined: the page works offline
    dom = Dom(rendered_dom(page))
    made = build_report(ROWS, made_at=ROWS[0].at)
    expected_charts = chart_ids(made)
    assert len(expected_charts) == 8
    assert {chart for chart, n in dom.svgs.items() if n >= 1} == set(expected_charts)  # each one drawn
    assert "50.0%" in dom.texts["chart-rate-team"] and "frontline" in dom.texts["chart-rate-team"]
    assert {"level 1", "level 2"} <= set(dom.texts["chart-escalations"])
    # The numbers in the page are the data's
    cells = {
        (c["data-metric"], c.get("data-dimension", ""), c["data-name"]): c["data-value"] for c in dom.cells
    }
    for rate in made.tally.rates:
        key = ("breach_rate", rate.dimension.value, rate.name)
        assert float(cells[key]) == pytest.approx(rate.rate)
        assert int(cells[("targets_breached", rate.dimension.value, rate.name)]) == rate.breached
    assert float(cells[("first_response_seconds", "", "p90")]) == made.tally.first_response.p90
    assert int(cells[("promises", "", "missed")]) == made.tally.promises_missed
    assert int(cells[("escalations", "", "2")]) == made.tally.escalations[2]
    assert dom.summary["data-cases"] == "7"


def test_names_from_the_helpdesk_are_only_text_in_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = '<img src=x onerror="document.title=1"><a href="javascript:alert(1)">x</a>'
    rows: list[Outcome] = [r.model_copy(update={"team": hostile}) for r in ROWS[:6]]
    path = tmp_path / "hostile.sqlite3"
    OutcomeStore(str(path)).write(rows)
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_URL", str(path))
    page = tmp_path / "hostile.html"
    assert invoke("--html", str(page))[0] == 0
    dom = Dom(rendered_dom(page))
    assert "img" not in dom.tags and "a" not in dom.tags  # no element made of a name
    assert hostile in dom.texts["chart-rate-team"]  # the label is the name, as text


def test_names_are_only_text_on_the_terminal_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marked = "[/bold][red]ops[/red]"  # rich markup, and a closing tag with nothing open
    path = tmp_path / "marked.sqlite3"
    OutcomeStore(str(path)).write([r.model_copy(update={"team": marked}) for r in ROWS[:6]])
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_URL", str(path))
    code, out, err = invoke()
    assert code == 0, err
    assert marked in out


def test_the_store_settings_are_listed_and_the_url_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_URL", "postgresql://u:hunter2@db/x")
    result = runner.invoke(app, ["settings", "--all", "--json"])
    assert result.exit_code == 0, result.stderr
    found = {s["name"]: s for s in json.loads(result.stdout)["settings"]}
    assert found["SERVICEFLOW_OUTCOMES_URL"]["secret"] and "hunter2" not in result.stdout
    assert found["SERVICEFLOW_OUTCOMES_URL"]["source"] == "environment"
    assert "SERVICEFLOW_OUTCOMES_ATTEMPTS" in found and "SERVICEFLOW_OUTCOMES_REPORT_MAX_ROWS" in found
    assert "SERVICEFLOW_OUTCOMES_URL" in runner.invoke(app, ["report", "--help"]).stdout


def test_a_team_is_found_by_its_id_or_its_roster_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report shows ``Billing (20002)``: either half finds the team's rows."""
    path = tmp_path / "named.sqlite3"
    store = OutcomeStore(str(path))
    rows = [
        r.model_copy(update={"team": "20002", "team_name": "Billing"}) if r.team == "billing" else r
        for r in ROWS
    ]
    store.write(rows)
    store.close()
    monkeypatch.setenv("SERVICEFLOW_OUTCOMES_URL", str(path))
    by_id = json.loads(invoke("--json", "--team", "20002")[1])["tally"]
    by_name = json.loads(invoke("--json", "--team", "Billing")[1])["tally"]
    assert by_id == by_name and by_id["cases"] == 1
    assert json.loads(invoke("--json", "--team", "billing")[1])["tally"]["cases"] == 0  # names as given
