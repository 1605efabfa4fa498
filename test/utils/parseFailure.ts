/** How a test reads the one line a bad flag value fails with. */
import {parseConfig} from "../../server/config.ts";

/** Commander reports a bad flag value by exiting; make it throw instead, with its message. */
export function parseFailure(argv: string[]): string {
  const {exit} = process;
  const {write} = process.stderr;
  let message = "";
  process.stderr.write = ((chunk: string) => { message += chunk; return true; }) as typeof process.stderr.write;
  process.exit = ((code?: number) => { throw new Error(`exit ${code}`); }) as typeof process.exit;
  try {
    parseConfig(argv);
  } catch (error) {
    return message || (error as Error).message;
  } finally {
    process.exit = exit;
    process.stderr.write = write;
  }
  throw new Error(`parseConfig(${argv.join(" ")}) did not fail`);
}
