#!/usr/bin/env bash
# OpenStack Tempest's identity v3 API suite against a running Latchkey.
#   conformance/tempest-identity.sh URL ADMIN_PASSWORD [REGEX]
# URL is the server's public URL (the one its catalog names), ADMIN_PASSWORD the operator's ROOT
# user's password (`admin` in domain `Default`, project `admin`, as `keystone-manage bootstrap`
# makes them). Installs tempest into target/tempest-venv (made anew when the pin changes), writes a
# tempest.conf for identity v3 only and runs the suite at concurrency 2 (TEMPEST_CONCURRENCY).
# The last line printed is `tempest-identity: N passed, M failed, K skipped`; the exit status is
# non-zero when a test failed or none passed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
  echo "usage: $0 URL ADMIN_PASSWORD [REGEX]" >&2
  exit 2
fi
url=${1%/}
password=$2
regex=${3:-'^tempest\.api\.identity\.(admin\.)?v3\.'}

venv=target/tempest-venv
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/tempest" ] || ! cmp -s conformance/requirements.txt "$stamp"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r conformance/requirements.txt
  cp conformance/requirements.txt "$stamp"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# tempest records workspaces under $HOME; a home of the run's own keeps runs apart.
export HOME="$work"
(cd "$work" && "$OLDPWD/$venv/bin/tempest" init ws >/dev/null)
ws="$work/ws"
cat >"$ws/etc/tempest.conf" <<CONF
[DEFAULT]
log_file = $ws/tempest.log
debug = true

[auth]
use_dynamic_credentials = true
admin_username = admin
admin_password = $password
admin_project_name = admin
admin_domain_name = Default
default_credentials_domain_name = Default
create_isolated_networks = false

[identity]
uri_v3 = $url/v3
auth_version = v3
region = RegionOne
v3_endpoint_type = public
catalog_type = identity
disable_ssl_certificate_validation = true
admin_domain_scope = false

[identity-feature-enabled]
api_v2 = false
api_v3 = true
trust = true
domain_specific_drivers = false
security_compliance = false
application_credentials = true
access_rules = true
project_tags = true
external_idp = false
enforce_scope = false

[service_available]
cinder = false
glance = false
neutron = false
nova = false
swift = false
placement = false
CONF

status=0
(cd "$ws" && "$OLDPWD/$venv/bin/tempest" run --regex "$regex" \
  --concurrency "${TEMPEST_CONCURRENCY:-2}") >"$work/run.log" 2>&1 || status=$?
grep -E '^(\{[0-9]+\} )?tempest\.|^(FAIL|ERROR|SKIP)|Totals|Passed|Failed|Skipped' "$work/run.log" | grep -v ' ok$' || true
if [ "${TEMPEST_KEEP_LOG:-}" != "" ]; then
  cp "$work/run.log" "$TEMPEST_KEEP_LOG"
  cp "$ws/tempest.log" "$TEMPEST_KEEP_LOG.debug" 2>/dev/null || true
fi
count() { sed -n "s/^ - $1: \([0-9]*\)$/\1/p" "$work/run.log" | tail -n1; }
passed=$(count Passed); failed=$(count Failed); skipped=$(count Skipped)
echo "tempest-identity: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "$status" -ne 0 ] || [ "${failed:-0}" -ne 0 ] || [ "${passed:-0}" -eq 0 ]; then exit 1; fi
