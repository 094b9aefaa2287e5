"""The bench runner (devstack/benchrun.py) and the benches' HTTP shopper (bench/_http.py):
a bench that breaks fails the run, and a shopper posts the form it was given."""

from pathlib import Path

from devstack.benchrun import run_benches

BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"


def write_bench(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(body)
    return path


def test_a_bench_that_exits_non_zero_or_prints_no_result_fails_the_run(tmp_path, capsys):
    measured = write_bench(tmp_path, "measured", "print('RESULT speed=3 failed=0')\n")
    silent = write_bench(tmp_path, "silent", "print('measured something')\n")
    crashed = write_bench(tmp_path, "crashed", "print('RESULT speed=1')\nraise SystemExit(3)\n")

    results, failed = run_benches([measured, silent, crashed], {"BENCH_SCALE": "smoke"})

    assert failed == ["silent.py (no RESULT line)", "crashed.py (exit 3)"]
    assert len(results) == 1
    assert results[0].startswith("measured           RESULT speed=3 failed=0  [")
    # Each bench's output is shown as it runs, under its name and scale.
    output = capsys.readouterr().out
    assert "== bench/measured.py (smoke)" in output
    assert "measured something" in output


def test_the_last_result_line_of_a_bench_is_the_one_reported(tmp_path):
    bench = write_bench(
        tmp_path, "two_lines", "print('RESULT warm_up=1')\nprint('RESULT speed=2')\n"
    )

    results, failed = run_benches([bench], {})

    assert failed == []
    assert results[0].split("  [")[0] == "two_lines          RESULT speed=2"


def test_the_shopper_posts_the_form_it_asked_for_with_its_csrf_token_and_choices(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH_DIR))
    from _http import Page

    class Response:
        url = "http://127.0.0.1:9/checkout/"
        status_code = 200
        text = """
          <form method="get" action="/"><input name="q" value=""></form>
          <form method="post" action="/i18n/setlang/">
            <input type="hidden" name="csrfmiddlewaretoken" value="tok"></form>
          <form method="post" novalidate>
            <input type="hidden" name="csrfmiddlewaretoken" value="tok">
            <input type="text" name="email">
            <input type="radio" name="shipping_method" value="pickup" checked>
            <input type="radio" name="shipping_method" value="flat">
            <input type="radio" name="payment_method" value="card" disabled checked>
            <input type="hidden" name="reference" value="5d3c">
          </form>
          <a href="/cart/">cart</a>
          <div data-client-secret="pi_1_secret_2"></div>"""

    page = Page(Response())
    checkout = page.form(field="reference")

    assert checkout["action"] == ""
    assert checkout["fields"] == {
        "csrfmiddlewaretoken": "tok",
        "email": "",
        "shipping_method": "pickup",
        "payment_method": None,  # a disabled choice is not submitted
        "reference": "5d3c",
    }
    assert page.find_form(field="no-such-field") is None
    assert page.form(action_contains="/i18n/")["fields"] == {"csrfmiddlewaretoken": "tok"}
    assert page.links == ["/cart/"]
    assert page.data["data-client-secret"] == "pi_1_secret_2"
