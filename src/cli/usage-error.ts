/** Bad command-line usage: the CLI prints the command's usage and exits with code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
