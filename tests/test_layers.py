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


def test_the_settings_and_the_rules_kernel_know_no_domain() -> None:
    """Every domain's rules build on app/rules.py, and the settings hold its numbers:
    neither reaches into a domain package."""
    found = {
        f"{name} imports {module}"
        for name in ("settings.py", "rules.py")
        for module in _imports(APP / name)
        if module.startswith("app.") and module.split(".")[1] in DOMAINS
    }
    assert not found
