/** Runs `body` with console.log and console.error collected into `lines` instead of printed. */
export async function withCapturedOutput(body: (lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (s: string) => lines.push(String(s));
  console.error = (s: string) => lines.push(String(s));
  try {
    await body(lines);
  } finally {
    console.log = log;
    console.error = error;
  }
}
