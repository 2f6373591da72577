import type { Pet } from "#schemas/pets.ts";

/**
 * The seed systems' starting data: the 4 car parks of the Smart Car Park (seed 000, 1,050 spaces
 * in all) and the 15 pets of the PetStore (seed 002). The API writes them on first use; the local
 * runtime and the dashboard may show them.
 */

/** A car park as installed: fixed details plus the occupancy it starts with. */
export interface SeedCarPark {
  readonly carParkId: string;
  readonly name: string;
  readonly capacity: number;
  /** Exact decimal, pounds per hour. */
  readonly hourlyRate: string;
  readonly initialOccupied: number;
}

/** The Smart Car Park's 4 car parks: CP001 as the seed shows it, 1,050 spaces in all. */
export const SEED_CAR_PARKS: readonly SeedCarPark[] = [
  {
    carParkId: "CP001",
    name: "Town Centre Multi-Storey",
    capacity: 450,
    hourlyRate: "1.5",
    initialOccupied: 245,
  },
  {
    carParkId: "CP002",
    name: "Riverside Retail Park",
    capacity: 300,
    hourlyRate: "1.2",
    initialOccupied: 210,
  },
  { carParkId: "CP003", name: "Railway Station", capacity: 200, hourlyRate: "2.5", initialOccupied: 187 },
  { carParkId: "CP004", name: "Leisure Centre", capacity: 100, hourlyRate: "1", initialOccupied: 55 },
];

/** The PetStore's 15 pets, ids 1–15; prices exact decimals. */
export const SEED_PETS: readonly Pet[] = [
  { id: 1, name: "Buddy", type: "dog", price: "249.99" },
  { id: 2, name: "Whiskers", type: "cat", price: "124.99" },
  { id: 3, name: "Nemo", type: "fish", price: "0.99" },
  { id: 4, name: "Tweety", type: "bird", price: "49.99" },
  { id: 5, name: "Fluffy", type: "hamster", price: "29.99" },
  { id: 6, name: "Thumper", type: "rabbit", price: "89.99" },
  { id: 7, name: "Max", type: "dog", price: "299.99" },
  { id: 8, name: "Luna", type: "cat", price: "149.99" },
  { id: 9, name: "Goldie", type: "fish", price: "1.99" },
  { id: 10, name: "Polly", type: "bird", price: "79.99" },
  { id: 11, name: "Shelly", type: "turtle", price: "39.99" },
  { id: 12, name: "Squeaky", type: "guinea pig", price: "34.99" },
  { id: 13, name: "Charlie", type: "dog", price: "279.99" },
  { id: 14, name: "Mittens", type: "cat", price: "134.99" },
  { id: 15, name: "Spike", type: "lizard", price: "59.99" },
];

/** Name of the counter item in the counters table that allocates pet ids. */
export const PET_ID_COUNTER = "pets";
