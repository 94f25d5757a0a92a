"""How the packages of app/ may depend on one another (issue 16's kernel rules), checked
on the import statements themselves."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def _imports(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def _is_router(module: str) -> bool:
    return module.rsplit(".", 1)[-1] in {"router", "contracts_router"}


def test_no_router_imports_a_router() -> None:
    """A route's helpers live in its domain's repository or service, where any other
    domain may use them; only the app factory mounts the routers."""
    found = {
        f"{path.relative_to(APP)} imports {module}"
        for path in APP.rglob("*.py")
        if path.name != "main.py"
        for module in _imports(path)
        if module.startswith("app.") and _is_router(module)
    }
    assert not found


DOMAINS = {path.name for path in APP.iterdir() if (path / "__init__.py").exists()} - {
    "reference"  # the shared vocabulary (enumerations, codes), which every domain speaks
}


def test_the_settings_the_rules_kernel_and_the_sql_helpers_know_no_domain() -> None:
    """Every domain's rules build on app/rules.py, the settings hold its numbers and
    app/sql.py runs every domain's statements: none reaches into a domain package, nor
    knows who calls (app/auth.py)."""
    found = {
        f"{name} imports {module}"
        for name in ("settings.py", "rules.py", "sql.py")
        for module in _imports(APP / name)
        if module.startswith("app.") and (module.split(".")[1] in DOMAINS or module == "app.auth")
    }
    assert not found


REGISTRY = ("structures", "companies", "networks")


def test_the_registry_knows_nothing_of_missions() -> None:
    """Structures, companies and networks are what missions are made between: which
    company works with which structure is read from the partnerships view."""
    found = {
        f"{path.relative_to(APP)} imports {module}"
        for domain in REGISTRY
        for path in (APP / domain).rglob("*.py")
        for module in _imports(path)
        if module.startswith("app.missions")
    }
    assert not found


FASTAPI_INTERNALS = (
    "fastapi.dependencies",
    "_IncludedRouter",
    "middleware_stack",
    "fastapi.telemetry",
)


def test_only_one_module_knows_fastapis_internals() -> None:
    """FastAPI's undocumented parts are read in app/fastapi_internals.py only, where a
    test checks each against the pinned release."""
    found = {
        f"{path.relative_to(APP)} uses {internal}"
        for path in APP.rglob("*.py")
        if path.name != "fastapi_internals.py"
        for internal in (*FASTAPI_INTERNALS, ".dependant")
        if internal in path.read_text()
    }
    assert not found
