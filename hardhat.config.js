// Hardhat 3 compiles the same sources with the same compiler and settings as chain/build.py (py-solc-x):
// both read contracts/compiler.json, the one place for compiler versions and settings. The compiler is the
// npm `solc` package's soljson.js, given by absolute path so nothing is downloaded.
// tests/unit/chain/test_build.py checks that both routes give the same runtime bytecode.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);
const compiler = JSON.parse(readFileSync(new URL("./contracts/compiler.json", import.meta.url), "utf8"));
const exchange = compiler.exchange;

export default defineConfig({
  paths: {
    sources: "./" + exchange.sources,
    artifacts: "./build/hardhat/artifacts",
    cache: "./build/hardhat/cache",
  },
  solidity: {
    version: exchange.solc_version,
    path: require.resolve(exchange.npm_package + "/soljson.js"),
    settings: exchange.settings,
  },
});
