/**
 * The survey part (src/device/parts.ts): the survey of the stored readings for the clock
 * (src/device/clock/survey.ts), loaded by the early pass at the boot, by start() and by a status
 * question, and dropped after. Not in the clock part: the scan holds the read part beside it.
 */
import { surveyStore } from "../clock/survey.ts";

const part = {
  surveyStore: surveyStore,
};

export type SurveyPart = typeof part;
export { part as default };
