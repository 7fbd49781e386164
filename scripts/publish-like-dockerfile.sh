#!/usr/bin/env bash
# Publishes the server as the Dockerfile's build stage does, without a Docker engine.
#   scripts/publish-like-dockerfile.sh OUTDIR
# Replays the build stage in order: WORKDIR; COPY, from the build context (the repo minus what .dockerignore leaves out)
# into a scratch directory standing in for the stage's filesystem; RUN dotnet restore and RUN dotnet publish, with the
# publish's output directory replaced by OUTDIR. Other RUN steps are listed and skipped (the image's /data directory is
# the smoke test's business). Packages go to an empty NUGET_PACKAGES of its own, deleted afterwards: as in a fresh image
# build, the publish finds only what the restore step fetched, so a restore that is not told what the publish needs
# fails here too, instead of passing on packages an earlier build left in ~/.nuget/packages.
# Used by build.sh (once, for every suite) and by scripts/container-smoke.sh when run alone. Exits non-zero on failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 OUTDIR" >&2; exit 64; }
mkdir -p "$1"
OUT=$(cd "$1" && pwd)

log() { echo "publish-like-dockerfile: $*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck source=scripts/lib/dockerfile.sh
source "$ROOT/scripts/lib/dockerfile.sh"

WORK=$(mktemp -d /tmp/publish-like-dockerfile.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
CONTEXT=$WORK/context
FS=$WORK/fs
export NUGET_PACKAGES=$WORK/nuget
# As when a container step ends, no MSBuild node outlives the publish, so none keeps a caller's output pipe open.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

[[ -f $ROOT/Dockerfile ]] || die "no Dockerfile at $ROOT"
mapfile -t stage < <(dockerfile_instructions "$ROOT/Dockerfile" | awk 'toupper($1) == "FROM" {n++; next} n == 1')
((${#stage[@]} > 0)) || die "the Dockerfile has no build stage"

# The build context: .dockerignore's "**/x" patterns match at any depth, the others from the context root only
# (GNU tar's --no-anchored / --anchored). Its "!" exceptions are not reproduced, so a Dockerfile that needs them stops here.
excludes=()
if [[ -f $ROOT/.dockerignore ]]; then
  while IFS= read -r pattern; do
    pattern=$(sed -E 's/^[[:space:]]+|[[:space:]]+$//g; s:^/+::; s:/+$::' <<<"$pattern")
    [[ -z $pattern || $pattern == \#* ]] && continue
    [[ $pattern == '!'* ]] && die ".dockerignore exception '$pattern' is not reproduced"
    if [[ $pattern == '**/'* ]]; then excludes+=(--no-anchored "--exclude=${pattern#'**/'}"); else excludes+=(--anchored "--exclude=$pattern"); fi
  done <"$ROOT/.dockerignore"
fi
mkdir -p "$CONTEXT" "$FS"
(cd "$ROOT" && find . -mindepth 1 -maxdepth 1 -printf '%P\0' | tar "${excludes[@]}" --null -T - -cf -) | tar -C "$CONTEXT" -xf -

workdir=/
published=

copy_step() {
  local -a words sources
  read -ra words <<<"$1"
  while [[ ${words[0]:-} == --* ]]; do
    # Ownership and layer linking do not change what the build produces; another stage's files do not exist here.
    [[ ${words[0]} == --from=* ]] && die "COPY ${words[0]} in the build stage is not reproduced"
    words=("${words[@]:1}")
  done
  [[ ${words[0]:-} == '['* ]] && die "COPY in JSON form is not reproduced: $1"
  ((${#words[@]} >= 2)) || die "COPY needs a source and a destination: $1"
  local dest=${words[-1]} target source match
  sources=("${words[@]:0:${#words[@]}-1}")
  [[ $dest == */ || $dest == . ]] || die "COPY to a file path is not reproduced (end the destination with /): $1"
  if [[ $dest == /* ]]; then target=$FS$dest; else target=$FS$workdir/$dest; fi
  mkdir -p "$target"
  for source in "${sources[@]}"; do
    # Globs match in the context, so what .dockerignore leaves out is not found, as in a real build.
    local -a matches=()
    mapfile -t matches < <(cd "$CONTEXT" && shopt -s dotglob && compgen -G "$source" || true)
    ((${#matches[@]} > 0)) || die "COPY source '$source' is not in the build context"
    for match in "${matches[@]}"; do
      if [[ -d $CONTEXT/$match ]]; then cp -a "$CONTEXT/$match/." "$target/"; else cp -a "$CONTEXT/$match" "$target/"; fi
    done
  done
}

run_step() {
  local command=$1 output_option='(^|[[:space:]])(-o|--output)[[:space:]]+[^[:space:]]+'
  case $command in
    "dotnet restore "*) ;;
    "dotnet publish "*)
      [[ $command =~ $output_option ]] || die "the publish step names no output directory (-o): $command"
      command=${command/"${BASH_REMATCH[0]}"/"${BASH_REMATCH[1]}${BASH_REMATCH[2]} $(printf %q "$OUT")"}
      published=yes
      ;;
    dotnet\ *) die "a dotnet step other than restore and publish is not reproduced: RUN $command" ;;
    *) log "not reproduced: RUN $command"; return ;;
  esac
  log "RUN $command (in $workdir, NUGET_PACKAGES empty at the start)"
  (cd "$FS$workdir" && eval "$command") </dev/null || die "failed: RUN $1"
}

for line in "${stage[@]}"; do
  read -r instruction arguments <<<"$line"
  case ${instruction^^} in
    WORKDIR)
      if [[ $arguments == /* ]]; then workdir=$arguments; else workdir=${workdir%/}/$arguments; fi
      mkdir -p "$FS$workdir"
      ;;
    COPY) copy_step "$arguments" ;;
    RUN) run_step "$arguments" ;;
    *) log "not reproduced: $line" ;;
  esac
done
[[ -n $published ]] || die "the build stage has no RUN dotnet publish"
log "published to $OUT"
