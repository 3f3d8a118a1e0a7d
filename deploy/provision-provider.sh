#!/usr/bin/env bash
# Provision a provider's node: its keys, its configuration and the line the
# hub's operator adds to the registry.
#
#   deploy/provision-provider.sh --org CODE --name NAME --hub-public HUB.pub \
#       --hub-endpoint tcp://hub:7001 --hub-name NAME/log --pseudo-key FILE --out DIR
#
# Writes DIR/keys/CODE.secret (0600), DIR/keys/CODE.pub, copies of the hub's
# public keys and of the pseudonymisation key (0600), DIR/node.conf; prints
# the registry line on stdout. Then, at the hub: append the line to
# registry.csv and send the hub SIGHUP (systemctl reload iapt-hub).
set -euo pipefail
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
org="" name="" hub_public="" endpoint="" hub_name="" pseudo="" out=""
bin=${IAPT_BIN:-$(command -v iapt-keygen >/dev/null 2>&1 && dirname "$(command -v iapt-keygen)" || echo "$(dirname "$0")/../build/bin")}
while [ $# -gt 0 ]; do
    case $1 in
    --org) org=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --hub-public) hub_public=$2; shift 2 ;;
    --hub-endpoint) endpoint=$2; shift 2 ;;
    --hub-name) hub_name=$2; shift 2 ;;
    --pseudo-key) pseudo=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) usage ;;
    esac
done
[ -n "$org" ] && [ -n "$name" ] && [ -n "$hub_public" ] && [ -n "$endpoint" ] &&
    [ -n "$hub_name" ] && [ -n "$pseudo" ] && [ -n "$out" ] || usage
[ -e "$out/node.conf" ] && { echo "provision: $out/node.conf exists; not overwritten" >&2; exit 1; }

umask 077
mkdir -p "$out/keys" "$out/outbox"
line=$("$bin/iapt-keygen" --org "$org" --role provider --name "$name" --out "$out/keys" 2>/dev/null)
cp "$hub_public" "$out/keys/HUB.pub"
cp "$pseudo" "$out/keys/pseudo.key"
chmod 600 "$out/keys/pseudo.key"
chmod 644 "$out/keys/HUB.pub" "$out/keys/$org.pub"
cat >"$out/node.conf" <<EOC
# iapt-node configuration for $org ($name); see deploy/examples/node.conf.
org = $org
identity = keys/$org.secret
hub-public = keys/HUB.pub
hub-endpoint = $endpoint
hub-name = $hub_name
pseudo-key = keys/pseudo.key
outbox = outbox
EOC
chmod 644 "$out/node.conf"
echo "provisioned $org in $out; add this line to the hub's registry.csv, then reload the hub:" >&2
echo "$line"
