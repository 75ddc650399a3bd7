#!/bin/sh
# Makes the test certificates examples/https.cfg (and https.yaml) load: a local
# CA and two leaf certificates signed by it, ECDSA P-256, valid 30 days:
#   www.example.test.pem   certificate, CA, key (HAProxy's one-file layout)
#   grpc.example.test.pem  the same for the gRPC name
#   ca.crt                 the CA, for clients (curl --cacert, grpc-js createSsl)
# Test-only keys, made on your machine and never committed (.gitignore).
# Usage: sh examples/certs/make-certs.sh   (writes next to this script)
set -eu
cd "$(dirname "$0")"
umask 077
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
openssl req -x509 -new -key ca.key -days 30 -subj "/CN=sluice example CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" -out ca.crt
for name in www.example.test grpc.example.test; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key"
  openssl req -new -key "$name.key" -subj "/CN=$name" -out "$name.csr"
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$name" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  cat "$name.crt" ca.crt "$name.key" > "$name.pem"
  rm -f "$name.csr" "$name.ext" "$name.crt" "$name.key"
done
rm -f ca.key ca.srl
chmod 644 ca.crt
echo "wrote $(pwd)/www.example.test.pem, grpc.example.test.pem and ca.crt"
