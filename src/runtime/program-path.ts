// Where execvp finds a program, for both runtimes' runProgram: a name with a
// slash is a path; a bare name is looked up in the PATH of the program's own
// environment (an empty entry is the working directory, no PATH at all is
// glibc's default), the first executable file wins. HAProxy's external
// checks run their command this way, with `external-check path` as PATH.
import { accessSync, constants, statSync } from "node:fs";

/** glibc's search path when the environment has no PATH. */
const DEFAULT_PATH = "/bin:/usr/bin";

/** Why execve would refuse `file`, in strerror's words, or undefined when it would run it. */
function refusal(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return "Permission denied";
    accessSync(file, constants.X_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : "Permission denied";
  }
}

/** The file execvp would run for `command`, or its error in strerror's words (HAProxy logs them). */
export function findProgram(command: string, path: string | undefined): { file: string } | { error: string } {
  if (command === "") return { error: "No such file or directory" };
  if (command.includes("/")) {
    const why = refusal(command);
    return why === undefined ? { file: command } : { error: why };
  }
  // execvp: EACCES from any candidate wins over ENOENT once the search fails.
  let error = "No such file or directory";
  for (const dir of (path ?? DEFAULT_PATH).split(":")) {
    const file = `${dir === "" ? "." : dir}/${command}`;
    const why = refusal(file);
    if (why === undefined) return { file };
    if (why === "Permission denied") error = why;
  }
  return { error };
}
