# Sourced by scripts/test and scripts/demo: make sure .venv exists with the project installed, on a bare machine.
# Installs only when pyproject.toml or scripts/constraints.txt changed since the last install.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HEDGEBOT_VENV:-$ROOT/.venv}"
cd "$ROOT"

find_python() {
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "hedgebot needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV" >&2
    "$(find_python)" -m venv "$VENV"
fi

stamp="$VENV/.hedgebot-install-stamp"
wanted="$(cat pyproject.toml scripts/constraints.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
    echo "==> installing hedgebot and its pinned dependencies into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -c scripts/constraints.txt -e ".[dev]" >&2
    echo "$wanted" >"$stamp"
fi

export PATH="$VENV/bin:$PATH"
