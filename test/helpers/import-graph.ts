import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * The static import graph of TypeScript sources, and its cycles. Reads `import … from`,
 * `export … from`, side-effect imports and `import("…")` with a regular expression (enough for
 * this code base's formatted sources), resolving relative specifiers and the package's `#…/*`
 * imports; packages from node_modules are left out.
 */

/** Every `.ts` file below `dirs` (relative to `root`), as paths relative to `root`. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      const path = join(dir, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) files.push(path);
    }
  };
  for (const dir of dirs) walk(dir);
  return files.sort();
}

const SPECIFIERS = [
  /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm,
  /^\s*import\s*["']([^"']+)["']/gm,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
];

/** What each file imports among the project's own files (paths relative to `root`). */
export function importGraph(root: string, files: readonly string[]): Map<string, string[]> {
  const aliases = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")).imports ?? {}) as Record<
    string,
    string
  >;
  const resolveSpecifier = (from: string, specifier: string): string | undefined => {
    let target: string | undefined;
    if (specifier.startsWith(".")) target = resolve(root, dirname(from), specifier);
    for (const [pattern, replacement] of Object.entries(aliases)) {
      const prefix = pattern.replace(/\*$/, "");
      if (specifier.startsWith(prefix)) {
        target = resolve(root, replacement.replace(/\*$/, "") + specifier.slice(prefix.length));
      }
    }
    return target !== undefined && existsSync(target) ? relative(root, target) : undefined;
  };
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(root, file), "utf8");
    const targets = new Set<string>();
    for (const pattern of SPECIFIERS) {
      for (const match of text.matchAll(pattern)) {
        const target = resolveSpecifier(file, match[1] as string);
        if (target !== undefined) targets.add(target);
      }
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/**
 * The import cycles of a graph: each strongly connected component of more than one file (or a
 * file importing itself), as its sorted files (Tarjan's algorithm).
 */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}
