# shellcheck shell=bash
# Sourced by the scripts that reproduce the image build without a Docker engine, so they all read the Dockerfile alike.
# dockerfile_instructions FILE: one instruction per line (continuations joined), without comments or blank lines.
dockerfile_instructions() {
  sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$1" | grep -vE '^\s*(#|$)'
}
