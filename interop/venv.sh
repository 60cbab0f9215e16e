#!/usr/bin/env bash
# The pinned PyPI clients of interop/requirements.txt in target/interop-venv, made anew when the
# requirements change. Prints nothing; the interop and browser tests call it.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/interop-venv
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s interop/requirements.txt "$stamp"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r interop/requirements.txt
  cp interop/requirements.txt "$stamp"
fi
