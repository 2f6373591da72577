import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "#infra/cdk/app.ts";
import { pipeline } from "#infra/pipeline.ts";
import type { TemplateResource } from "./synth.ts";

const run = promisify(execFile);

/** The environment of `npm run synth` on a machine with no AWS account: no credentials, no profile. */
function withoutAwsCredentials(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|DEFAULT_PROFILE)$/.test(name))
      delete env[name];
  }
  return { ...env, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" };
}

let outdir: string;
let result: { stdout: string; stderr: string };
let template: { Resources: Record<string, TemplateResource> };

// The one synthesis of this file: the real `npm run synth`, bundling every handler with esbuild.
beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), "ripple-synth-"));
  result = await run("npm", ["run", "synth", "--", "--output", outdir], {
    cwd: PROJECT_ROOT,
    env: withoutAwsCredentials(),
    maxBuffer: 64 * 1024 * 1024,
  });
  template = JSON.parse(readFileSync(join(outdir, `${pipeline.name}-dev.template.json`), "utf8"));
}, 600_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

/** Every function of the template with the folder of its bundle and its environment variables. */
function functions() {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === "AWS::Lambda::Function")
    .map(([id, r]) => ({
      description: r.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME as string,
      id,
      bundle: join(outdir, `asset.${String(r.Properties.Code.S3Key).replace(/\.zip$/, "")}`),
      variables: r.Properties.Environment.Variables as Record<string, string>,
    }));
}

describe("npm run synth", () => {
  it("writes the dev template with no AWS credentials and no Docker", () => {
    // Arrange
    const resources = template.Resources;

    // Act
    const count = Object.keys(resources).length;

    // Assert
    expect(count).toBeGreaterThan(0);
    expect(result.stderr).not.toMatch(/docker/i);
  });

  it("bundles every declared handler as an ESM module with its source map", () => {
    // Arrange
    const assets = readdirSync(outdir).filter((name) => name.startsWith("asset."));

    // Act
    const bundles = assets
      .map((asset) => join(outdir, asset, "index.mjs"))
      .filter((path) => existsSync(path));

    // Assert
    expect(bundles).toHaveLength(2 + pipeline.consumers.length);
    for (const bundle of bundles) {
      expect(existsSync(`${bundle}.map`)).toBe(true);
      expect(readFileSync(bundle, "utf8")).toMatch(/^import\s*\{\s*createRequire/);
    }
  });

  it("gives each function a bundle that loads and exports its handler with the environment it is given", async () => {
    // Arrange
    // The AWS SDK is left out of the bundles (the Lambda runtime provides it): resolve it here.
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(outdir, "node_modules"));
    const all = functions();

    // Act
    const loaded = await Promise.all(
      all.map(async ({ description, bundle, variables }) => {
        const { stdout } = await run(
          process.execPath,
          [
            "--input-type=module",
            "-e",
            "const m = await import('./index.mjs'); console.log(typeof m.handler);",
          ],
          {
            cwd: bundle,
            env: {
              PATH: process.env.PATH,
              AWS_REGION: "us-east-1",
              AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
              ...variables,
            },
          },
        );
        return `${description}: ${stdout.trim()}`;
      }),
    );

    // Assert
    expect(all).toHaveLength(2 + pipeline.consumers.length);
    expect(loaded.sort()).toEqual(all.map((f) => `${f.description}: function`).sort());
  });
});
