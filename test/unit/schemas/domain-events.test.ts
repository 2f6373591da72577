import { describe, expect, it } from "vitest";
import { type DomainEventName, DomainEvents, detailJsonSchemas } from "#schemas/domain-events.ts";

type JsonSchema = {
  $schema?: string;
  title?: string;
  required?: string[];
  properties?: Record<string, JsonSchema>;
  type?: string | string[];
};

describe("domain event JSON Schemas", () => {
  const schemas = detailJsonSchemas() as Record<DomainEventName, JsonSchema>;

  it.each(Object.entries(DomainEvents).map(([name, event]) => ({ name: name as DomainEventName, event })))(
    "describes $name with its source, version, metadata and data",
    ({ name, event }) => {
      // Act
      const schema = schemas[name];
      // Assert
      expect(schema.title).toBe(`${event.source} ${event.detailType} v${event.version}`);
      expect(schema.required).toEqual(["metadata", "data"]);
      expect(schema.properties?.metadata?.required).toEqual(
        expect.arrayContaining([
          "eventId",
          "version",
          "table",
          "change",
          "sequenceNumber",
          "changedAt",
          "keys",
          "depth",
        ]),
      );
    },
  );

  it.each([
    {
      description: "a car park's percentFull and hourlyRate",
      name: "CarParkOccupancyChanged",
      fields: ["percentFull", "hourlyRate"],
    },
    { description: "a pet's price", name: "PetListed", fields: ["price"] },
    { description: "a cart's totalPrice", name: "CartUpdated", fields: ["totalPrice"] },
    { description: "an entry's kgCO2e", name: "CarbonEntryRecorded", fields: ["kgCO2e"] },
  ] as const)("carries $description as exact decimal strings, never binary floats", ({ name, fields }) => {
    const data = schemas[name].properties?.data?.properties ?? {};
    for (const field of fields) expect(data[field]?.type).toBe("string");
  });

  it("generates draft-04 for the EventBridge schema registry", () => {
    const draft4 = detailJsonSchemas("draft-04") as Record<DomainEventName, JsonSchema>;
    expect(draft4.PetListed.$schema).toBe("http://json-schema.org/draft-04/schema#");
  });
});
