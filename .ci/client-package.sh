#!/usr/bin/env bash
# @gatehouse/client the way a user gets it: pack the workspace package, install the tarball
# into an empty project, import it with plain node, check that no server code came along, then
# run the SDK's own tests (packages/client/test/*.test.mjs, node:test) in that project against
# a Gatehouse started from dist/ for them (embedded storage, dev-mode mock Google).
# Needs `npm run build` first (npm ci runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

tarball=$(npm pack --workspace @gatehouse/client --pack-destination "$work" --silent | tail -n1)
mkdir "$work/app"
cd "$work/app"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "$work/$tarball"

kind=$(node -e "import('@gatehouse/client').then(m => console.log(typeof m.GatehouseClient))")
echo "typeof GatehouseClient: $kind"
[ "$kind" = function ]

# No server code: the package holds only its compiled SDK, and pulls in only oauth4webapi.
installed=node_modules/@gatehouse/client
unexpected=$(cd "$installed" && find . -type f ! -path './dist/*' ! -name package.json ! -name README.md ! -name LICENSE)
if [ -n "$unexpected" ]; then echo "unexpected files in the package: $unexpected"; exit 1; fi
if grep -rlE "from '(fastify|pg|ioredis|argon2|@electric-sql|pino|zod)" "$installed/dist"; then
  echo 'the SDK imports server dependencies'; exit 1
fi
packages=$(ls node_modules | grep -v '^\.' | sort | tr '\n' ' ')
echo "installed packages: $packages"
[ "$packages" = "@gatehouse oauth4webapi " ]

cp "$root"/packages/client/test/*.test.mjs .
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
admin_key=$(node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")
(cd "$work" && env -i PATH="$PATH" HOME="$HOME" PORT="$port" HOST=127.0.0.1 DATA_DIR="$work/data" LOG_LEVEL=warn \
  ADMIN_KEY="$admin_key" GATEHOUSE_CONFIG="$work/none.yml" node "$root/dist/main.js") > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "http://127.0.0.1:$port/health" >/dev/null || { cat "$work/server.log"; exit 1; }
GATEHOUSE_URL="http://localhost:$port" GATEHOUSE_ADMIN_KEY="$admin_key" node --test ./*.test.mjs
