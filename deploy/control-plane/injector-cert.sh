#!/usr/bin/env bash
# Makes the injector's TLS certificate with openssl (when cert-manager is not used): a CA and a serving
# certificate for trellis-injector.trellis-system.svc, stored as the Secret trellis-injector-tls, and the CA put
# into the MutatingWebhookConfiguration's caBundle. Run after `kubectl apply -k deploy`; re-run to rotate.
# The keys stay in a temporary folder that is removed on exit.
set -euo pipefail
ns=trellis-system
svc=trellis-injector
days=${DAYS:-365}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
  -subj "/CN=trellis-injector-ca" -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=$svc.$ns.svc" -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s.%s,DNS:%s.%s.svc,DNS:%s.%s.svc.cluster.local\n' \
  "$svc" "$svc" "$ns" "$svc" "$ns" "$svc" "$ns" > "$work/ext.cnf"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -days "$days" -extfile "$work/ext.cnf" -out "$work/tls.crt" 2>/dev/null

kubectl -n "$ns" create secret tls trellis-injector-tls --cert "$work/tls.crt" --key "$work/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -
ca=$(base64 < "$work/ca.crt" | tr -d '\n')
kubectl patch mutatingwebhookconfiguration trellis-injector --type json -p \
  "[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$ca\"},{\"op\":\"add\",\"path\":\"/webhooks/1/clientConfig/caBundle\",\"value\":\"$ca\"}]"
kubectl -n "$ns" rollout restart deployment/trellis-injector
echo "trellis-injector: certificate valid for $days days; caBundle patched"
