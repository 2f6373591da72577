import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { NODEJS_FUNCTION_BUILD } from "#infra/cdk/function.ts";
import { functionsOf, PROJECT_ROOT } from "#infra/model.ts";
import { model } from "#infra/pipeline.ts";

/**
 * What each function's bundle is built from, by esbuild's metafile, bundling the way the CDK app
 * bundles it (`NODEJS_FUNCTION_BUILD`, the AWS SDK left out as NodejsFunction leaves it).
 */
async function bundleInputs(handler: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(PROJECT_ROOT, handler)],
    absWorkingDir: PROJECT_ROOT,
    ...NODEJS_FUNCTION_BUILD,
    mainFields: [...NODEJS_FUNCTION_BUILD.mainFields],
    external: [...NODEJS_FUNCTION_BUILD.external],
    write: false,
    metafile: true,
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
