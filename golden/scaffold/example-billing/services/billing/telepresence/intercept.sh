#!/usr/bin/env bash
# Scaffolded by `platc new-service` from platform.toml. This file is yours: change it freely.
# Stage ew runs this service on your machine, joined to stage test through Telepresence:
# traffic for billing in namespace shop-test comes to port 8080 here, and your process reaches the
# other services by name. Start the service locally, then run this script.
# Stop with: telepresence leave "$SERVICE" && telepresence quit
set -euo pipefail
NAMESPACE=shop-test
SERVICE=billing
PORT=8080
telepresence connect --namespace "$NAMESPACE"
telepresence intercept "$SERVICE" --port "$PORT:$PORT"
