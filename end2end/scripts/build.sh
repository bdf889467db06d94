#!/usr/bin/env bash
# make build: the browser bundle and the server binary (PROFILE=release|debug).
source "$(dirname "$0")/lib.sh"
install_rust_tools
install_node_modules
build_site
say "building the hangar server ($PROFILE)"
if [ "${PROFILE:-release}" = release ]; then
  (cd "$ROOT" && cargo build -p hangar-server --release)
else
  (cd "$ROOT" && cargo build -p hangar-server)
fi
