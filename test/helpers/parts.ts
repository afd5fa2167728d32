/**
 * The firmware's parts for facade tests in Node: the same modules the build puts in Storage
 * files, imported directly (loading them from Storage is tested on the compiled bundle).
 */
import type { PartTypes, Parts } from "../../src/device/parts.ts";
import setupPart from "../../src/device/parts/setup.ts";
import checkPart from "../../src/device/parts/check.ts";
import configPart from "../../src/device/parts/config.ts";
import applyPart from "../../src/device/parts/apply.ts";
import savePart from "../../src/device/parts/save.ts";
import reportPart from "../../src/device/parts/report.ts";
import uplinkPart from "../../src/device/parts/uplink.ts";
import streamPart from "../../src/device/parts/stream.ts";
import makePart from "../../src/device/parts/make.ts";
import datePart from "../../src/device/parts/date.ts";
import pickPart from "../../src/device/parts/pick.ts";
import replyPart from "../../src/device/parts/reply.ts";
import rarePart from "../../src/device/parts/rare.ts";
import sntpPart from "../../src/device/parts/sntp.ts";
import clockPart from "../../src/device/parts/clock.ts";
import storePart from "../../src/device/parts/store.ts";
import mountPart from "../../src/device/parts/mount.ts";
import readPart from "../../src/device/parts/read.ts";
import anchorPart from "../../src/device/parts/anchor.ts";
import surveyPart from "../../src/device/parts/survey.ts";

const PARTS: PartTypes = {
  setup: setupPart,
  check: checkPart,
  config: configPart,
  save: savePart,
  apply: applyPart,
  report: reportPart,
  uplink: uplinkPart,
  stream: streamPart,
  make: makePart,
  date: datePart,
  pick: pickPart,
  reply: replyPart,
  rare: rarePart,
  sntp: sntpPart,
  clock: clockPart,
  survey: surveyPart,
  store: storePart,
  mount: mountPart,
  read: readPart,
  anchor: anchorPart,
};

export const directParts: Parts = {
  load: (name) => PARTS[name],
  // The modules themselves: the same code in every boot of a test.
  files: () => " spool.config.00000000 spool.check.00000000",
};
