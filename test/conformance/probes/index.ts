/** Every conformance topic, in run order. */
import type { ProbeTopic } from "../../../src/host/conformance/probe.ts";
import builtins from "./builtins.ts";
import date from "./date.ts";
import errors from "./errors.ts";
import flash from "./flash.ts";
import json from "./json.ts";
import math from "./math.ts";
import net from "./net.ts";
import numbers from "./numbers.ts";
import storage from "./storage.ts";
import strings from "./strings.ts";
import timers from "./timers.ts";
import tofixed from "./tofixed.ts";
import typed from "./typed.ts";
import utf8 from "./utf8.ts";

export const TOPICS: ProbeTopic[] = [
  strings,
  utf8,
  numbers,
  tofixed,
  json,
  date,
  math,
  typed,
  errors,
  timers,
  storage,
  flash,
  net,
  builtins,
];
