/**
 * Test utility: chat templates from llama.cpp's `models/templates/`, read out of the llama.cpp source
 * bundle that node-llama-cpp ships (a git bundle), so tests render real models' templates offline
 * without committing them. Extracted once into the git-ignored cache, keyed by the bundle's commit.
 */
import {execFileSync} from "node:child_process";
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {defaultCacheDir} from "../../engine/synthetic/ensureSyntheticModel.ts";

const BUNDLE = join(import.meta.dirname, "..", "..", "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");

function git(args: readonly string[], cwd?: string): string {
  return execFileSync("git", args, {cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024});
}

/** The bundle's commit: the cache key. */
function bundleCommit(): string {
  const [line] = git(["bundle", "list-heads", BUNDLE]).trim().split("\n");
  return line!.split(" ")[0]!;
}

/** The sources of `models/templates/<name>.jinja` in the bundled llama.cpp, by name. */
export function llamaCppTemplates<Name extends string>(names: readonly Name[]): Record<Name, string> {
  const folder = join(defaultCacheDir(), "llama.cpp-templates", bundleCommit());
  const pathOf = (name: string) => join(folder, `${name}.jinja`);
  const missing = names.filter((name) => !existsSync(pathOf(name)));
  if (missing.length > 0) {
    const repository = mkdtempSync(join(tmpdir(), "llama-templates-"));
    try {
      git(["init", "-q"], repository);
      git(["fetch", "-q", BUNDLE], repository);
      mkdirSync(folder, {recursive: true});
      for (const name of missing) writeFileSync(pathOf(name), git(["show", `FETCH_HEAD:models/templates/${name}.jinja`], repository));
    } finally {
      rmSync(repository, {recursive: true, force: true});
    }
  }
  return Object.fromEntries(names.map((name) => [name, readFileSync(pathOf(name), "utf8")])) as Record<Name, string>;
}
