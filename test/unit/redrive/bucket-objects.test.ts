import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type ServiceInputTypes,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { RedriveInputError } from "#infra/redrive/errors.ts";
import { bucketObjects } from "#infra/redrive/on-failure.ts";

/**
 * Reading the S3 on-failure bucket, with the S3 client stubbed at its edge (`send`): the listing
 * comes in pages as S3 pages it, and every object named is read and, on `remove`, deleted.
 */
function stubbedS3(pages: readonly (readonly string[])[]) {
  const calls: { command: string; input: ServiceInputTypes }[] = [];
  const s3 = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
  s3.send = (async (command: { input: ServiceInputTypes }) => {
    calls.push({ command: command.constructor.name, input: command.input });
    if (command instanceof ListObjectsV2Command) {
      const page = Number(command.input.ContinuationToken ?? "0");
      return {
        Contents: pages[page]!.map((Key) => ({ Key })),
        ...(page + 1 < pages.length ? { IsTruncated: true, NextContinuationToken: String(page + 1) } : {}),
      };
    }
    if (command instanceof GetObjectCommand) {
      return { Body: { transformToString: async () => `{"key":"${command.input.Key}"}` } };
    }
    if (command instanceof DeleteObjectCommand) return {};
    throw new Error(`unexpected ${command.constructor.name}`);
  }) as never;
  return { s3, calls };
}

describe("the on-failure bucket's objects", () => {
  it("lists every page under aws/lambda/, reads each object and deletes only the one removed", async () => {
    // Arrange
    const keys = [
      ["aws/lambda/m/s/2025/11/30/a", "aws/lambda/m/s/2025/11/30/b"],
      ["aws/lambda/m/s/2025/12/01/c"],
    ];
    const { s3, calls } = stubbedS3(keys);

    // Act
    const objects = await bucketObjects(s3, "ripple-on-failure");
    await objects[1]!.remove();

    // Assert
    expect(objects.map((o) => [o.name, o.text])).toEqual(
      keys.flat().map((k) => [`s3://ripple-on-failure/${k}`, `{"key":"${k}"}`]),
    );
    const lists = calls.filter((c) => c.command === "ListObjectsV2Command").map((c) => c.input);
    expect(lists).toEqual([
      expect.objectContaining({ Bucket: "ripple-on-failure", Prefix: "aws/lambda/" }),
      expect.objectContaining({ Bucket: "ripple-on-failure", Prefix: "aws/lambda/", ContinuationToken: "1" }),
    ]);
    expect(calls.filter((c) => c.command === "DeleteObjectCommand").map((c) => c.input)).toEqual([
      { Bucket: "ripple-on-failure", Key: "aws/lambda/m/s/2025/11/30/b" },
    ]);
  });

  it("says which bucket refused access and what redrive needs on it", async () => {
    // Arrange
    const s3 = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
    s3.send = (async () => {
      throw Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
    }) as never;

    // Act
    const read = bucketObjects(s3, "ripple-on-failure");

    // Assert
    await expect(read).rejects.toThrow(RedriveInputError);
    await expect(read).rejects.toThrow(
      'bucket "ripple-on-failure" refused access (Access Denied); redrive needs s3:ListBucket, s3:GetObject and s3:DeleteObject on it',
    );
  });
});
