/** What the validation library writes on its own; no answer, reason or finding may pass it through. */
export const LIBRARY_TEXT =
  /Invalid input|Invalid ISO|Invalid option|Invalid string|Invalid email|Too small|Too big|Unrecognized key|expected (string|number|boolean|object|array), received/;
