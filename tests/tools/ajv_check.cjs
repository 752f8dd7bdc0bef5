// Validates documents against provbase's schemas with ajv (JSON Schema 2020-12) in its default
// strict mode, which refuses unknown keywords and formats: every schema under SCHEMAS is
// compiled, then each DOC is validated against the schema named beside it.
// Usage: node ajv_check.cjs AJV_MODULE_DIR SCHEMAS_DIR [SCHEMA_FILE=DOC_FILE ...]
// Prints one JSON line per schema compiled and per document; exits 1 on any problem.
const fs = require("fs");
const path = require("path");
const [moduleDir, schemasDir, ...pairs] = process.argv.slice(2);
const Ajv2020 = require(path.join(moduleDir, "dist/2020")).default;
const ajv = new Ajv2020(); // strict: true is ajv's default
let failed = false;
const byFile = {};
for (const f of fs.readdirSync(schemasDir).filter((f) => f.endsWith(".schema.json")).sort()) {
  const schema = JSON.parse(fs.readFileSync(path.join(schemasDir, f), "utf8"));
  try {
    byFile[f] = ajv.compile(schema);
    console.log(JSON.stringify({ schema: f, id: schema.$id, compiled: true }));
  } catch (e) {
    console.log(JSON.stringify({ schema: f, compiled: false, error: String(e.message) }));
    failed = true;
  }
}
for (const pair of pairs) {
  const [schema, doc] = pair.split("=");
  const validate = byFile[schema];
  const value = JSON.parse(fs.readFileSync(doc, "utf8"));
  const ok = validate ? validate(value) : false;
  console.log(JSON.stringify({ schema, doc, valid: ok, errors: validate ? validate.errors : "no such schema" }));
  failed ||= !ok;
}
process.exit(failed ? 1 : 0);
