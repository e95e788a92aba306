#!/usr/bin/env node
// A solc-compatible command line over the npm `solc` package (the real compiler, as WebAssembly).
//
// Usage: solc-shim.cjs --package <npm package> (--version | --standard-json) [--base-path DIR] [--allow-paths ...]
//
// Why not `solcjs --standard-json`: it prints text before the JSON, exits before stdout is flushed (output cut
// at 64 KiB through a pipe), reads stdin synchronously (EAGAIN with slow writers) and has no import resolver
// without --base-path. This script reads stdin asynchronously, resolves imports from the base path and
// node_modules, and exits only after stdout has drained.
"use strict";
const fs = require("fs");
const path = require("path");

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}

const pkg = argValue("--package") || "solc";
const basePath = path.resolve(argValue("--base-path") || process.cwd());
const repoRoot = path.resolve(__dirname, "..", "..");
const solcDir = path.dirname(require.resolve(pkg + "/package.json", { paths: [repoRoot] }));
const solc = require(path.join(solcDir, "wrapper.js"))(require(path.join(solcDir, "soljson.js")));

if (process.argv.includes("--version")) {
  process.stdout.write("solc, the solidity compiler commandline interface\nVersion: " + solc.version() + "\n");
  return;
}

if (!process.argv.includes("--standard-json")) {
  process.stderr.write("solc-shim: only --version and --standard-json are supported\n");
  process.exitCode = 2;
  return;
}

function findImport(importPath) {
  const candidates = [path.resolve(basePath, importPath), path.resolve(repoRoot, "node_modules", importPath)];
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) {
      return { contents: fs.readFileSync(candidate, "utf8") };
    }
  }
  return { error: "File not found: " + importPath + " (looked in " + candidates.join(", ") + ")" };
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const input = Buffer.concat(chunks).toString("utf8");
  // Old wrappers (0.5.x) take the callback directly; new ones take { import: fn }.
  const legacy = /^0\.[45]\./.test(solc.version());
  const output = legacy ? solc.compile(input, findImport) : solc.compile(input, { import: findImport });
  process.stdout.write(output, () => {
    process.exitCode = 0;
  });
});
