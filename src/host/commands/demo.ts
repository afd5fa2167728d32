/**
 * `spool demo` (`npm start`): a simulated ESP32 rides out a WiFi outage, a power cut and a boot
 * without time against the local server, in accelerated virtual time; then the summary and the
 * chart page, served until Ctrl-C (or not, with --exit).
 */
import { DemoUsageError, HELP, parseDemoArgs } from "../demo/options.ts";
import { runDemo } from "../demo/run.ts";
import { formatSummary } from "../demo/summary.ts";

export const summary = "the demo (npm start): a simulated ESP32 through a day with an outage and a power cut";

export async function run(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseDemoArgs(argv);
  } catch (err) {
    if (!(err instanceof DemoUsageError)) throw err;
    console.error(`spool demo: ${err.message} ("npm start -- --help" lists the options)`);
    return 2;
  }
  if (options === "help") {
    console.log(HELP);
    return 0;
  }
  const result = await runDemo(options);
  for (const line of formatSummary(result)) console.log(line);
  const code = result.account.lost === 0 ? 0 : 1;
  if (options.exit) {
    await result.server.close();
    console.log(`The server has stopped. To see the charts again: npm run server -- --db ${options.db}`);
    return code;
  }
  console.log(`Serving the page until Ctrl-C (database ${options.db}; later: npm run server -- --db ${options.db})`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await result.server.close();
  return code;
}
