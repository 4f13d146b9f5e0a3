#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine, once: the Python 3.13 virtualenv,
# the SAM CLI and checkov each in a virtualenv of their own (they pin their own dependencies) and
# DynamoDB Local (Amazon's engine, shipped inside the npm package amplify-dynamodb-simulator), the
# Redocly CLI (npm) that lints openapi.json, axe-core (npm) and Debian's chromium (apt), the accessibility
# engine and the browser the browser tests drive through Playwright. Each step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON_VERSION=3.13.0
TOOLS=.tools
mkdir -p "$TOOLS"

find_python() {
  if command -v pyenv >/dev/null 2>&1 && pyenv prefix "$PYTHON_VERSION" >/dev/null 2>&1; then
    echo "$(pyenv prefix "$PYTHON_VERSION")/bin/python3"
  elif command -v python3.13 >/dev/null 2>&1; then
    command -v python3.13
  else
    echo "Python 3.13 is needed (pyenv install $PYTHON_VERSION)" >&2
    exit 1
  fi
}

what="${1:-all}"

if [[ "$what" == all || "$what" == venv ]] && [[ ! -f .venv/.installed || requirements-dev.txt -nt .venv/.installed || layers/paygate/requirements.txt -nt .venv/.installed || clients/python/pyproject.toml -nt .venv/.installed ]]; then
  echo "==> .venv (Python $PYTHON_VERSION)"
  [[ -x .venv/bin/python ]] || "$(find_python)" -m venv .venv
  .venv/bin/pip install -q -r requirements-dev.txt
  .venv/bin/pip install -q -e .
  .venv/bin/pip install -q -e clients/python
  touch .venv/.installed
fi

if [[ "$what" == all || "$what" == sam ]] && [[ ! -x "$TOOLS/sam/bin/sam" ]]; then
  echo "==> SAM CLI"
  python3 -m venv "$TOOLS/sam"
  "$TOOLS/sam/bin/pip" install -q aws-sam-cli==1.170.0
fi

if [[ "$what" == all || "$what" == checkov ]] && [[ ! -x "$TOOLS/checkov/bin/checkov" ]]; then
  echo "==> checkov"
  python3 -m venv "$TOOLS/checkov"
  "$TOOLS/checkov/bin/pip" install -q checkov==3.3.30
fi

if [[ "$what" == all || "$what" == dynamodb ]] && [[ ! -f "$TOOLS/dynamodb-local/DynamoDBLocal.jar" ]]; then
  echo "==> DynamoDB Local"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack -q amplify-dynamodb-simulator@2.9.30 >/dev/null && tar xzf amplify-dynamodb-simulator-2.9.30.tgz)
  rm -rf "$TOOLS/dynamodb-local"
  mv "$tmp/package/emulator" "$TOOLS/dynamodb-local"
  rm -rf "$tmp"
fi

# axe-core, the accessibility engine the browser tests run in each page (from npm, pinned).
AXE_VERSION=4.14.1
if [[ "$what" == all || "$what" == axe ]] && [[ ! -f "$TOOLS/axe-core-$AXE_VERSION/axe.min.js" ]]; then
  echo "==> axe-core $AXE_VERSION"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack -q "axe-core@$AXE_VERSION" >/dev/null && tar xzf "axe-core-$AXE_VERSION.tgz")
  rm -rf "$TOOLS/axe-core-$AXE_VERSION"
  mv "$tmp/package" "$TOOLS/axe-core-$AXE_VERSION"
  rm -rf "$tmp"
fi

if [[ "$what" == all || "$what" == redocly ]] && [[ ! -x "$TOOLS/redocly/node_modules/.bin/redocly" ]]; then
  echo "==> Redocly CLI (the second linter of openapi.json)"
  npm install -q --prefix "$TOOLS/redocly" --no-audit --no-fund @redocly/cli@2.77.0 >/dev/null
fi

# Debian's chromium, not Playwright's own download: the browser tests run it through executable_path.
if [[ "$what" == all || "$what" == browser ]] && [[ ! -x /usr/bin/chromium ]] && ! command -v chromium >/dev/null 2>&1; then
  echo "==> chromium (apt)"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium is needed by the browser tests (tests/browser) and apt-get is not available:" >&2
    echo "install chromium with this machine's package manager, then run this again" >&2
    exit 1
  fi
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "chromium is needed by the browser tests (tests/browser): run as root, or install sudo," >&2
      echo "or install it yourself: apt-get install chromium" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi
