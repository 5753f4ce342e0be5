#!/bin/sh
# Once the server answers: the namespace serviceflow runs in, and the search attribute by which
# a repeat contact finds the customer's open case (ServiceflowRequester, a Keyword; see
# src/serviceflow/durable/cases.py). Without it cases still run, but every repeat contact
# becomes a case of its own. Both steps are idempotent.
set -eu
ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${SERVICEFLOW_NAMESPACE:-default}"
RETENTION="${NAMESPACE_RETENTION:-30d}"

attempt=0
until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  [ "$attempt" -lt 60 ] || { echo "Temporal at $ADDRESS did not become healthy"; exit 1; }
  sleep 2
done
temporal operator namespace describe --address "$ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1 \
  || temporal operator namespace create --address "$ADDRESS" -n "$NAMESPACE" --retention "$RETENTION"
temporal operator search-attribute list --address "$ADDRESS" -n "$NAMESPACE" | grep -q ServiceflowRequester \
  || temporal operator search-attribute create --address "$ADDRESS" -n "$NAMESPACE" \
       --name ServiceflowRequester --type Keyword
echo "namespace $NAMESPACE is ready, with the ServiceflowRequester search attribute"
