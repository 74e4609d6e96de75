// Writes a .gz and a .br beside each compressible file in dist/, which the server sends
// to browsers that accept them (crates/mira-server/src/ui.rs). Done once at build time,
// rather than on every request (brotli quality 9: about 10% larger than 11 in a tenth of the time).
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|ttf|txt|map|wasm)$/;
// Below this a compressed copy saves less than the headers it costs.
const MIN_BYTES = 1024;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

const dist = process.argv[2] ?? new URL("../dist", import.meta.url).pathname;
let before = 0;
let after = 0;
for (const path of files(dist)) {
  if (!COMPRESSIBLE.test(path)) continue;
  const bytes = readFileSync(path);
  if (bytes.length < MIN_BYTES) continue;
  const gz = gzipSync(bytes, { level: 9 });
  const br = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  // A copy that is not smaller would only cost disk; the server then sends the original.
  if (gz.length < bytes.length) writeFileSync(`${path}.gz`, gz);
  if (br.length < bytes.length) writeFileSync(`${path}.br`, br);
  before += bytes.length;
  after += Math.min(br.length, bytes.length);
}
console.log(`compressed dist: ${(before / 1e6).toFixed(2)} MB of text assets, ${(after / 1e6).toFixed(2)} MB as brotli`);
