"""The layers are enforced: import-linter's contracts (pyproject.toml [tool.importlinter]) hold
for the code as it is, and break when any of the old cross-layer bridges comes back."""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PROJECT_PACKAGES = (
    "config",
    "reports",
    "datacenter",
    "community",
    "commerce",
    "billing",
    "onboarding",
    "analytics",
    "features",
    "tenants",
    "accounts",
    "outbox",
    "deadlines",
    "core",
)
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
CONTRACTS = 5


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_code_keeps_every_layer_contract():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {CONTRACTS} kept, 0 broken." in result.stdout


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory) -> Path:
    """The project's packages (Python files only) and its pyproject.toml, to break at will."""
    tree = tmp_path_factory.mktemp("layers")
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    for package in PROJECT_PACKAGES:
        shutil.copytree(
            ROOT / package,
            tree / package,
            ignore=lambda folder, names: [
                name
                for name in names
                if (not name.endswith(".py") and not (Path(folder) / name).is_dir())
                or name == "__pycache__"
            ],
        )
    return tree


# Each of the bridges the code had (or a new one of the same kind), as the import it
# amounts to; the import sits inside a function, where import-linter still sees it.
LAYERS = "Imports go down the layers only"
COMMERCE_ALONE = "Commerce imports neither billing nor customer success"
TENANTS = "Tenants and accounts import no domain app"
HELPERS = "core and outbox import nothing of the project"
NO_CONFIG = "No app imports config (the composition root)"
BRIDGES = [
    pytest.param(
        "commerce/datacenter/selectors.py",
        "from billing.selectors import charges_between",
        {COMMERCE_ALONE},
        id="commerce.datacenter->billing",
    ),
    pytest.param(
        "tenants/services.py",
        "from onboarding.services import start_journey_for_new_merchant",
        {LAYERS, TENANTS, COMMERCE_ALONE},  # commerce imports tenants.services
        id="tenants->onboarding",
    ),
    pytest.param(
        "billing/reminders.py",
        "from onboarding.selectors import csm_for_merchant",
        {LAYERS},
        id="billing->onboarding",
    ),
    pytest.param(
        "onboarding/selectors.py",
        "from commerce.orders.models import Order",
        {LAYERS},
        id="onboarding->commerce",
    ),
    pytest.param(
        "commerce/orders/views.py",
        "from config.celery import app",
        {LAYERS, NO_CONFIG},
        id="commerce->config",
    ),
    pytest.param(
        "core/ratelimit.py",
        "from tenants.models import Merchant",
        {LAYERS, HELPERS},
        id="core->tenants",
    ),
]


def broken_contracts(output: str) -> set[str]:
    return {
        line.removesuffix(" BROKEN") for line in output.splitlines() if line.endswith(" BROKEN")
    }


@pytest.mark.parametrize(("module", "statement", "broken"), BRIDGES)
def test_each_old_bridge_breaks_a_contract(source_copy, module, statement, broken):
    target = source_copy / module
    original = target.read_text() if target.exists() else None
    if original is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        (target.parent / "__init__.py").touch()
    target.write_text(
        (original or "") + f"\n\ndef _bridge():\n    {statement}  # noqa\n\n    return None\n"
    )
    try:
        result = lint_imports(source_copy)
    finally:
        if original is None:
            shutil.rmtree(target.parent)
        else:
            target.write_text(original)

    assert result.returncode == 1, result.stdout + result.stderr
    assert broken_contracts(result.stdout) == broken
    assert f"Contracts: {CONTRACTS - len(broken)} kept, {len(broken)} broken." in result.stdout


def test_the_untouched_copy_keeps_the_contracts(source_copy):
    # The bridges above fail because of what they add, not because the copy differs.
    result = lint_imports(source_copy)

    assert result.returncode == 0, result.stdout + result.stderr


def _import_string_calls() -> dict[str, list[ast.Call]]:
    calls: dict[str, list[ast.Call]] = {}
    for package in PROJECT_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            found = [
                node
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "import_string"
            ]
            if found:
                calls[str(path.relative_to(ROOT))] = found
    return calls


def test_no_module_reaches_another_app_through_a_dotted_path_in_settings():
    calls = _import_string_calls()

    # The plugin registry names its own handlers (inside commerce): the only import_string.
    assert sorted(calls) == ["commerce/plugins/hooks.py"]
    for call in calls["commerce/plugins/hooks.py"]:
        assert "settings" not in ast.unparse(call)
    for name in (
        "MERCHANT_OPENED_HOOKS",
        "BILLING_ACCOUNT_MANAGER",
        "ONBOARDING_INVOICE_FACTS",
        "DATA_CENTER_CHARGES",
    ):
        assert not hasattr(settings, name), name


def test_the_plugin_handlers_import_string_resolves_stay_inside_commerce():
    from commerce.plugins.registry import REGISTRY

    # Handlers are dotted paths; a "console" entry names a URL, not a module.
    handlers = [
        path for spec in REGISTRY.values() for path in spec.handlers.values() if "." in path
    ]

    assert handlers
    assert all(path.startswith("commerce.") for path in handlers)
