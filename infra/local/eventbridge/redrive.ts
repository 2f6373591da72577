/**
 * The dead-letter redrive is an operator command and lives with it (`infra/redrive`), so the
 * operator commands depend on nothing under `infra/local`; re-exported here for the local
 * runtime's callers.
 */
export { type RedriveDeadLettersResult, redriveDeadLetters } from "../../redrive/dead-letters.ts";
