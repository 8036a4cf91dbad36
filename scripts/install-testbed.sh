#!/usr/bin/env bash
# Puts the binaries of the local control plane (scripts/local/controlPlane.ts: `npm run operator` without a
# cluster, the test bed, eval, bench) in place and prints the directory that holds them.
#
#   bash scripts/install-testbed.sh            # last line of stdout = absolute bin dir
#
# Binaries (all REAL upstream code, built from Go modules at pinned versions, no downloads
# other than the Go module proxy): kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl (k8s.io/kubernetes), etcd (go.etcd.io/etcd/server/v3), kwok (sigs.k8s.io/kwok),
# helm (helm.sh/helm/v3). AlertManager comes from Debian (prometheus-alertmanager + amtool).
#
# Env:
#   ALERT_AGENT_CACHE   cache root (default $HOME/.cache/alert-agent)
#   KUBEBUILDER_ASSETS  if it holds kube-apiserver and etcd, those two (and kubectl if present) are used
#   GO_BUILD_P          parallelism for go build (default 2)
#   SKIP_ALERTMANAGER=1 do not check/install prometheus-alertmanager
#   ALERT_AGENT_WITHOUT_HELM=1  do not build helm (only the chart's tests need it; `npm run operator` sets it)
#
# Idempotent: each binary is built only if missing; scratch go.mod files are generated
# deterministically and re-resolved only when their seed changes.
set -euo pipefail

K8S_VERSION=v1.35.4
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.7.0
HELM_VERSION=v3.22.0

CACHE="${ALERT_AGENT_CACHE:-$HOME/.cache/alert-agent}"
BIN="$CACHE/bin/k8s-$K8S_VERSION"
BUILD="$CACHE/build"
P="${GO_BUILD_P:-2}"

log() { printf '[install-testbed] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

K8S_BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
ALL_BINS=("${K8S_BINS[@]}" etcd kwok helm)

have_bin() { [[ -x "$1/$2" && -s "$1/$2" ]]; }

# ---------------------------------------------------------------------------------------------
# Go helpers
# ---------------------------------------------------------------------------------------------
need_go() {
  command -v go >/dev/null 2>&1 || die "go is not on PATH (need Go >= 1.25)"
}

# mod_info <module> <version> <field>  -> value of a field from `go mod download -json`
mod_info() {
  local json
  json="$(cd "$BUILD" && go mod download -json "$1@$2")" || die "go mod download $1@$2 failed"
  printf '%s' "$json" | sed -n "s/^[[:space:]]*\"$3\": \"\(.*\)\",\{0,1\}$/\1/p" | head -n1
}

# go_line_of <path-to-.mod> -> e.g. "1.25.0"
go_line_of() { sed -n 's/^go \([0-9.]*\)$/\1/p' "$1" | head -n1; }
godebug_line_of() { sed -n 's/^godebug \(.*\)$/\1/p' "$1" | head -n1; }

release_time() { # RFC3339 commit time of a module version (from the proxy .info)
  local info; info="$(mod_info "$1" "$2" Info)"
  sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info"
}

# prepare_module <dir> <seed go.mod content>
# Writes go.mod.seed; if it changed (or go.sum missing) re-creates go.mod from the seed and runs
# `go mod tidy` so that go.sum/indirect requirements are resolved.
prepare_module() {
  local dir="$1" seed="$2"
  mkdir -p "$dir"
  if [[ -f "$dir/go.mod.seed" && -f "$dir/go.sum" && -f "$dir/go.mod" ]] && [[ "$(cat "$dir/go.mod.seed")" == "$seed" ]]; then
    return 0
  fi
  log "resolving scratch module $dir"
  printf '%s\n' "$seed" >"$dir/go.mod.seed"
  printf '%s\n' "$seed" >"$dir/go.mod"
  rm -f "$dir/go.sum"
  cat >"$dir/doc.go" <<'EOF'
// Package testbed is a scratch module used only to build tool binaries.
package testbed
EOF
  (cd "$dir" && GOFLAGS=-mod=mod go mod tidy) >&2 || { rm -f "$dir/go.sum"; die "go mod tidy failed in $dir"; }
}

# ---------------------------------------------------------------------------------------------
# k8s.io/kubernetes
# ---------------------------------------------------------------------------------------------
build_k8s() {
  local missing=()
  for b in "${K8S_BINS[@]}"; do have_bin "$BIN" "$b" || missing+=("$b"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  need_go
  log "building ${missing[*]} from k8s.io/kubernetes@$K8S_VERSION (cold build takes a long while)"
  local gomod; gomod="$(mod_info k8s.io/kubernetes "$K8S_VERSION" GoMod)"
  [[ -f "$gomod" ]] || die "could not fetch go.mod of k8s.io/kubernetes@$K8S_VERSION"
  local staging_ver="v0.${K8S_VERSION#v1.}"
  local goline godebug; goline="$(go_line_of "$gomod")"; godebug="$(godebug_line_of "$gomod")"
  # replace block = the tag's own ./staging replaces, mapped to the published v0.Y.Z tags
  local replaces
  replaces="$(sed -n '/^replace (/,/^)/p' "$gomod" | sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*$#\1#p' | LC_ALL=C sort -u)"
  [[ -n "$replaces" ]] || die "no staging replaces found in $gomod"
  local seed
  seed="module alertagent.local/testbed/k8s

go ${goline}
${godebug:+
godebug ${godebug}
}
require k8s.io/kubernetes ${K8S_VERSION}

tool (
	k8s.io/kubernetes/cmd/kube-apiserver
	k8s.io/kubernetes/cmd/kube-controller-manager
	k8s.io/kubernetes/cmd/kube-scheduler
	k8s.io/kubernetes/cmd/kubectl
)

replace (
$(while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$staging_ver"; done <<<"$replaces")
)"
  local dir="$BUILD/k8s-$K8S_VERSION"
  prepare_module "$dir" "$seed"

  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local bdate; bdate="$(release_time k8s.io/kubernetes "$K8S_VERSION")"
  local ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X '$pkg.gitVersion=$K8S_VERSION' -X '$pkg.gitMajor=1' -X '$pkg.gitMinor=$minor'"
    ld+=" -X '$pkg.gitCommit=' -X '$pkg.gitTreeState=clean' -X '$pkg.buildDate=$bdate'"
  done
  local pkgs=(); for b in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  mkdir -p "$BIN"
  local out="$dir/out"; mkdir -p "$out"
  local t0=$SECONDS
  (cd "$dir" && CGO_ENABLED=0 go build -p "$P" -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ld" -o "$out/" "${pkgs[@]}") >&2 \
    || die "go build of k8s.io/kubernetes@$K8S_VERSION failed"
  for b in "${missing[@]}"; do mv -f "$out/$b" "$BIN/$b"; done
  log "k8s binaries built in $((SECONDS - t0))s"
}

# ---------------------------------------------------------------------------------------------
# etcd / kwok / helm: one scratch module each (no k8s replaces leaking between them)
# build_simple <bin> <module> <version> <pkg> <ldflags>
# ---------------------------------------------------------------------------------------------
build_simple() {
  local name="$1" module="$2" version="$3" pkg="$4" ld="$5"
  have_bin "$BIN" "$name" && return 0
  need_go
  log "building $name from $module@$version"
  local gomod; gomod="$(mod_info "$module" "$version" GoMod)"
  [[ -f "$gomod" ]] || die "could not fetch go.mod of $module@$version"
  local goline godebug; goline="$(go_line_of "$gomod")"; godebug="$(godebug_line_of "$gomod")"
  local seed
  seed="module alertagent.local/testbed/${name}

go ${goline}
${godebug:+
godebug ${godebug}
}
require ${module} ${version}

tool ${pkg}"
  local dir="$BUILD/${name}-${version}"
  prepare_module "$dir" "$seed"
  mkdir -p "$BIN"
  local t0=$SECONDS
  (cd "$dir" && CGO_ENABLED=0 go build -p "$P" -trimpath -ldflags "-s -w $ld" -o "$dir/$name.tmp" "$pkg") >&2 \
    || die "go build of $module@$version ($pkg) failed"
  mv -f "$dir/$name.tmp" "$BIN/$name"
  log "$name built in $((SECONDS - t0))s"
}

build_etcd() {
  build_simple etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3 ""
}

build_kwok() {
  build_simple kwok sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok \
    "-X 'sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION'"
}

build_helm() {
  have_bin "$BIN" helm && return 0
  need_go
  # like helm's Makefile: default .Capabilities.KubeVersion = 1.<minor of the client-go helm is built with>
  local hmod cgo minor
  hmod="$(mod_info helm.sh/helm/v3 "$HELM_VERSION" GoMod)"
  cgo="$(sed -n 's#^[[:space:]]*k8s\.io/client-go v0\.\([0-9]*\)\..*#\1#p' "$hmod" | head -n1)"
  minor="${cgo:-${K8S_VERSION#v1.}}"; minor="${minor%%.*}"
  local ld="-X 'helm.sh/helm/v3/internal/version.version=$HELM_VERSION' -X 'helm.sh/helm/v3/internal/version.gitTreeState=clean'"
  ld+=" -X 'helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1' -X 'helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor'"
  ld+=" -X 'helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1' -X 'helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor'"
  build_simple helm helm.sh/helm/v3 "$HELM_VERSION" helm.sh/helm/v3/cmd/helm "$ld"
}

# ---------------------------------------------------------------------------------------------
# AlertManager (Debian) and stray system services
# ---------------------------------------------------------------------------------------------
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop_service() {
  local svc="$1"
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl stop "$svc" >/dev/null 2>&1 || true
    systemctl disable "$svc" >/dev/null 2>&1 || true
  fi
  if [[ -x "/etc/init.d/$svc" ]]; then
    "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
  fi
  if command -v update-rc.d >/dev/null 2>&1 && [[ -e "/etc/init.d/$svc" ]]; then
    update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
}

ensure_alertmanager() {
  [[ "${SKIP_ALERTMANAGER:-}" == 1 ]] && return 0
  if ! command -v prometheus-alertmanager >/dev/null 2>&1 || ! command -v amtool >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "prometheus-alertmanager missing and apt-get unavailable"
    local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
    log "installing prometheus-alertmanager via apt"
    # keep the package's service from auto-starting (policy-rc.d 101 = action not allowed)
    local made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null && $sudo chmod +x /usr/sbin/policy-rc.d && made_policy=1
    fi
    local ok=0
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends prometheus-alertmanager >&2 && ok=1
    if [[ $ok -eq 0 ]]; then
      log "apt-get install failed; running apt-get update and retrying"
      $sudo apt-get update >&2 || true
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends prometheus-alertmanager >&2 && ok=1
    fi
    [[ $made_policy -eq 1 ]] && $sudo rm -f /usr/sbin/policy-rc.d
    [[ $ok -eq 1 ]] || die "could not install prometheus-alertmanager"
    stop_service prometheus-alertmanager
  fi
  # No system alertmanager/etcd left listening on their default ports.
  if port_open 9093 || port_open 9094; then stop_service prometheus-alertmanager; fi
  if port_open 2379 || port_open 2380; then stop_service etcd; fi
  if port_open 9093; then log "WARNING: something still listens on 127.0.0.1:9093 (not started by this script)"; fi
  if port_open 2379; then log "WARNING: something still listens on 127.0.0.1:2379 (not started by this script)"; fi
}

# ---------------------------------------------------------------------------------------------
main() {
  mkdir -p "$BUILD" "$BIN"
  local t0=$SECONDS
  build_k8s
  build_etcd
  build_kwok
  # Running the operator needs no helm (only the chart's tests do): `npm run operator` skips it, which saves
  # a cold first run about 100 s.
  if [[ "${ALERT_AGENT_WITHOUT_HELM:-}" == 1 ]]; then
    ALL_BINS=("${K8S_BINS[@]}" etcd kwok)
  else
    build_helm
  fi
  for b in "${ALL_BINS[@]}"; do have_bin "$BIN" "$b" || die "missing $BIN/$b after build"; done
  ensure_alertmanager

  local out="$BIN"
  local ka="${KUBEBUILDER_ASSETS:-}"
  if [[ -n "$ka" ]] && have_bin "$ka" kube-apiserver && have_bin "$ka" etcd; then
    ka="$(cd "$ka" && pwd -P)"
    # A combined dir: kube-apiserver/etcd (and kubectl if provided) from KUBEBUILDER_ASSETS, the rest from the cache.
    local key; key="$(printf '%s' "$ka" | cksum | cut -d' ' -f1)"
    out="$CACHE/bin/assets-$key-k8s-$K8S_VERSION"
    mkdir -p "$out"
    for b in "${ALL_BINS[@]}"; do
      local src="$BIN/$b"
      case "$b" in kube-apiserver|etcd) src="$ka/$b" ;; kubectl) have_bin "$ka" kubectl && src="$ka/kubectl" ;; esac
      ln -sfn "$src" "$out/$b"
    done
    log "using kube-apiserver and etcd from KUBEBUILDER_ASSETS=$ka"
  fi
  (( SECONDS - t0 > 1 )) && log "done in $((SECONDS - t0))s"
  (cd "$out" && pwd -P)
}

main "$@"
