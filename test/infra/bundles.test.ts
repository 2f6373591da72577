import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { FUNCTION_BUNDLING } from "#infra/cdk/function.ts";
import { functionsOf, PROJECT_ROOT } from "#infra/model.ts";
import { model } from "#infra/pipeline.ts";

/**
 * What each function's bundle is built from, by esbuild's metafile, bundling the way the CDK app
 * bundles it (`FUNCTION_BUNDLING`, the AWS SDK left out as NodejsFunction leaves it).
 */
async function bundleInputs(handler: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(PROJECT_ROOT, handler)],
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: FUNCTION_BUNDLING.format,
    target: FUNCTION_BUNDLING.target,
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourceMap,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    banner: { js: FUNCTION_BUNDLING.banner },
    external: ["@aws-sdk/*"],
    logLevel: "silent",
  });
  return Object.keys(result.metafile.inputs);
}

describe("function bundles", () => {
  it.each(functionsOf(model).map((fn) => ({ description: fn.service, handler: fn.handler })))(
    "bundle $description without any source under infra/",
    async ({ handler }) => {
      // Arrange
      const fromProject = (input: string) => !input.startsWith("node_modules/");

      // Act
      const inputs = await bundleInputs(handler);

      // Assert
      expect(inputs).toContain(handler);
      expect(inputs.filter(fromProject).filter((input) => input.startsWith("infra/"))).toEqual([]);
    },
  );
});
