/**
 * The package as `npm pack` would publish it, for checks that consume it like an installed
 * dependency: the file list, a content stamp that says whether dist/ is current, and a copy of the
 * published files in some node_modules/ with the package's dependencies linked beside it.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const stampFile = path.join(root, 'node_modules', '.cache', 'codex-rx', 'build-stamp');

/** What `npm pack` would put in the tarball (dist/ as it is now; no prepack build). */
function packList() {
  const npm = process.env.npm_execpath;
  const [cmd, args] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  const out = execFileSync(cmd, [...args, 'pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [info] = JSON.parse(out);
  return { files: info.files.map((f) => f.path).sort(), size: info.size, unpackedSize: info.unpackedSize };
}

/** A hash of everything the build reads: sources, build script, tsconfigs, package.json. */
function sourceStamp() {
  const hash = crypto.createHash('sha256');
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
    }
  };
  walk(path.join(root, 'src'));
  for (const f of ['scripts/build.js', 'tsconfig.json', 'tsconfig.build.json', 'package.json'])
    hash.update(fs.readFileSync(path.join(root, f)));
  return hash.digest('hex');
}

/**
 * Runs `npm run build` unless dist/ was built from exactly the current sources. Safe to call from
 * several processes at once (jest workers, `npm test`'s concurrent checks): one builds, under a
 * lock directory, while the others wait for it and then find dist/ current.
 */
function ensureBuilt() {
  const stamp = sourceStamp();
  const current = () => fs.existsSync(stampFile) && fs.existsSync(path.join(root, 'dist')) && fs.readFileSync(stampFile, 'utf8') === stamp;
  if (current()) return false;
  return withLock(() => {
    if (current()) return false;
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'pipe', timeout: 300_000 });
    fs.writeFileSync(stampFile, stamp);
    return true;
  });
}

/** Runs `fn` holding the build lock (a directory: mkdir is atomic); a lock older than the build's timeout is stale. */
function withLock(fn) {
  const lock = stampFile + '.lock';
  fs.mkdirSync(path.dirname(stampFile), { recursive: true });
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let age = 0;
      try {
        age = Date.now() - fs.statSync(lock).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > 300_000) fs.rmSync(lock, { recursive: true, force: true });
      else Atomics.wait(pause, 0, 0, 200); // a synchronous sleep: callers are synchronous
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Copies the published files into `nodeModules`/codex-rx (as `npm install` would) and, with
 * `linkDependencies` (for folders outside this repository), links its dependencies and peer
 * dependencies from this repository's node_modules.
 */
function installPacked(nodeModules, { files = packList().files, linkDependencies = true } = {}) {
  const target = path.join(nodeModules, 'codex-rx');
  fs.rmSync(target, { recursive: true, force: true });
  for (const rel of files) {
    fs.mkdirSync(path.dirname(path.join(target, rel)), { recursive: true });
    fs.copyFileSync(path.join(root, rel), path.join(target, rel));
  }
  if (!linkDependencies) return target;
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })) {
    const link = path.join(nodeModules, dep);
    if (fs.existsSync(link)) continue;
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules', dep), link, 'dir');
  }
  return target;
}

module.exports = { root, packList, ensureBuilt, installPacked };
