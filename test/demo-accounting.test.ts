import test from "ava";
import { account, accountPin } from "../src/host/demo/accounting.ts";

const readings = [0, 1, 2, 3, 4].map((i) => ({ pin: 1, trueMs: 1000 * i, value: 20 + i, boot: 1 }));

/** Pin 1 with the server holding readings 0 and 1 of the five. */
function twoStored() {
  return accountPin({
    pin: 1,
    readings,
    stored: [
      [0, 20],
      [1000, 21],
    ],
    toleranceMs: 500,
  });
}

test("lost comes from the sensors' readings, not from the device's own recorded count", (t) => {
  // The server holds readings 0 and 1; the device says it recorded 2 and dropped nothing.
  const pin = twoStored();
  const a = account({ pins: [pin], recorded: 2, sampleErrors: 0, dropped: {}, pending: 0 });
  t.is(a.produced, 5);
  t.is(a.lost, 3, "three sensor readings are nowhere, whatever the device counted");
});

test("drops the device reported and readings still waiting are not lost", (t) => {
  const pin = twoStored();
  const a = account({ pins: [pin], recorded: 5, sampleErrors: 0, dropped: { overwritten: 2 }, pending: 1 });
  t.is(a.lost, 0);
  t.is(a.droppedTotal, 2);
});
